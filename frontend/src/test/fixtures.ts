/** Small API answers made for component tests, shaped as the function's contract. */
import type { MoviesResponse, RecommendResponse } from "../types";

export const HALF_STARS = { min: 0.5, max: 5, step: 0.5 };

export function moviesResponse(): MoviesResponse {
  const titles = ["Heat", "Toy Story", "Casino", "Sabrina", "Jumanji", "GoldenEye", "Balto", "Nixon"];
  const movies = titles.map((title, i) => ({ movie_id: 10 + i, title, year: 1995 }));
  for (let i = 0; i < 30; i += 1) movies.push({ movie_id: 100 + i, title: `Filler ${i}`, year: 2000 + (i % 10) });
  return { movies, rating_scale: HALF_STARS, model_version: "v-test" };
}

/** Ten best and ten worst, tagged so tests can tell answers apart. */
export function recommendResponse(tag = "a", usedRatings = 1): RecommendResponse {
  const rec = (i: number, rating: number) => ({ movie_id: 100 + i, title: `Pick ${tag}${i}`, year: 2001, predicted_rating: rating });
  return {
    top: Array.from({ length: 10 }, (_, i) => rec(i, 4.9 - i * 0.1)),
    bottom: Array.from({ length: 10 }, (_, i) => rec(10 + i, 1.1 + i * 0.1)),
    model_version: "v-test",
    used_ratings: usedRatings,
  };
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}
