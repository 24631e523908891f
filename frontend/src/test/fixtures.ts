/** Small API answers made for component tests, shaped as the function's contract. */
import type { Ask, MoviesResponse, RecommendResponse } from "../types";

export const HALF_STARS = { min: 0.5, max: 5, step: 0.5 };

/** Eight real titles (with the accents and punctuation search must see through), then fillers. */
export function moviesResponse(): MoviesResponse {
  const titles = ["Heat", "Toy Story", "Casino", "Léon: The Professional", "WALL·E", "Spider-Man", "Balto", "Nixon"];
  const movies = titles.map((title, i) => ({ movie_id: 10 + i, title, year: 1995, genres: "Action|Crime" }));
  for (let i = 0; i < 30; i += 1) movies.push({ movie_id: 100 + i, title: `Filler ${i}`, year: 2000 + (i % 10), genres: "Drama" });
  return { movies, rating_scale: HALF_STARS, model_version: "v-test" };
}

/** Catalog movies as `ask_next` entries (ids 100.. are fillers). */
export function asks(ids: number[]): Ask[] {
  return ids.map((id) => ({ movie_id: id, title: `Ask ${id}`, year: 1999, genres: ["Comedy"] }));
}

interface AnswerOptions {
  tag?: string;
  usedRatings?: number;
  /** Include the contract's new fields (ask_next, genres, because); false: today's answer. */
  contract?: boolean;
  askIds?: number[];
}

/** Ten best and ten worst, tagged so tests can tell answers apart. */
export function recommendResponse({ tag = "a", usedRatings = 1, contract = true, askIds }: AnswerOptions = {}): RecommendResponse {
  const rec = (i: number, rating: number) => ({
    movie_id: 200 + i,
    title: `Pick ${tag}${i}`,
    year: 2001,
    predicted_rating: rating,
    ...(contract
      ? { genres: ["Crime", "Drama"], because: i === 0 ? [{ movie_id: 10, title: "Heat", rating: 5, effect: 0.4 }] : [] }
      : {}),
  });
  return {
    top: Array.from({ length: 10 }, (_, i) => rec(i, 4.9 - i * 0.1)),
    bottom: Array.from({ length: 10 }, (_, i) => rec(10 + i, 1.1 + i * 0.1)),
    ...(contract ? { ask_next: asks(askIds ?? Array.from({ length: 10 }, (_, i) => 100 + i)) } : {}),
    model_version: "v-test",
    used_ratings: usedRatings,
  };
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}
