import { describe, expect, it } from "vitest";
import { searchKey, searchKeys, searchMovies } from "./search";

const movies = [
  { movie_id: 1, title: "Léon: The Professional", year: 1994 },
  { movie_id: 2, title: "WALL·E", year: 2008 },
  { movie_id: 3, title: "Spider-Man", year: 2002 },
  { movie_id: 4, title: "Alien³ (a.k.a. Alien 3)", year: 1992 },
  { movie_id: 5, title: "Heat", year: 1995 },
];
const keys = searchKeys(movies);
const found = (query: string) => searchMovies(movies, keys, query).map((m) => m.movie_id);

describe("search", () => {
  it("reduces text to lower-case letters and digits without accents", () => {
    expect(searchKey("Léon: The Professional")).toBe("leontheprofessional");
    expect(searchKey("WALL·E")).toBe("walle");
  });

  it("ignores accents, case, punctuation and spacing", () => {
    expect(found("Leon")).toEqual([1]);
    expect(found("WALL-E")).toEqual([2]);
    expect(found("wall e")).toEqual([2]);
    expect(found("spiderman")).toEqual([3]);
    expect(found("SPIDER MAN")).toEqual([3]);
    expect(found("alien 3")).toEqual([4]);
  });

  it("matches every word against title and year", () => {
    expect(found("heat 1995")).toEqual([5]);
    expect(found("heat 1996")).toEqual([]);
    expect(found("199")).toEqual([1, 4, 5]);
  });

  it("finds nothing for an empty query (the list is for finding a particular movie)", () => {
    expect(found("  ")).toEqual([]);
  });
});
