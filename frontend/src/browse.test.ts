import { describe, expect, it } from "vitest";
import { ANY, browseMovies, decadesOf, genresOf } from "./browse";
import { progressHint } from "./progress";

const movies = [
  { movie_id: 1, title: "A", year: 1994, genres: "Comedy|Drama", n_ratings: 50 },
  { movie_id: 2, title: "B", year: 1999, genres: ["Comedy"], n_ratings: 90 },
  { movie_id: 3, title: "C", year: 2003, genres: "Drama", n_ratings: 70 },
  { movie_id: 4, title: "D", year: null, genres: "(no genres listed)", n_ratings: 10 },
];
const ids = (list: { movie_id: number }[]) => list.map((m) => m.movie_id);

describe("browse", () => {
  it("lists genres most common first and decades newest first", () => {
    expect(genresOf(movies)).toEqual(["Comedy", "Drama"]);
    expect(decadesOf(movies)).toEqual([2000, 1990]);
  });

  it("filters by genre and decade, most rated first", () => {
    expect(ids(browseMovies(movies, ANY))).toEqual([2, 3, 1, 4]);
    expect(ids(browseMovies(movies, { genre: "Comedy", decade: null }))).toEqual([2, 1]);
    expect(ids(browseMovies(movies, { genre: "Drama", decade: 1990 }))).toEqual([1]);
    expect(ids(browseMovies(movies, { genre: "", decade: 2000 }))).toEqual([3]);
  });
});

describe("progressHint", () => {
  it("counts down to 8 ratings, then says the lists are good", () => {
    expect(progressHint(0)).toMatch(/^Rate 8 movies/);
    expect(progressHint(5)).toMatch(/^Rate 3 more for sharper picks/);
    expect(progressHint(8)).toMatch(/^Good lists now/);
    expect(progressHint(20)).toMatch(/as sharp as more ratings make them/);
  });
});
