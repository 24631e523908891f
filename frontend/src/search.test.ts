import { describe, expect, it } from "vitest";
import { editDistance, searchKey, searchKeys, searchMovies } from "./search";

const movies = [
  { movie_id: 1, title: "Léon: The Professional", year: 1994 },
  { movie_id: 2, title: "WALL·E", year: 2008 },
  { movie_id: 3, title: "Spider-Man", year: 2002 },
  { movie_id: 4, title: "Alien³ (a.k.a. Alien 3)", year: 1992 },
  { movie_id: 5, title: "Heat", year: 1995 },
  { movie_id: 6, title: "The Godfather", year: 1972 },
  { movie_id: 7, title: "The Shawshank Redemption", year: 1994 },
  { movie_id: 8, title: "Amélie", aka: ["Le Fabuleux destin d'Amélie Poulain"], year: 2001 },
  { movie_id: 9, title: "The Godfather: Part II", year: 1974 },
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
    expect(found("199")).toEqual([1, 4, 5, 7]);
  });

  it("finds a movie by its other titles", () => {
    expect(found("fabuleux destin")).toEqual([8]);
    expect(found("amelie")).toEqual([8]);
  });

  it("forgives a typo or two when nothing matches exactly, closest first", () => {
    expect(found("godfater")).toEqual([6, 9]);
    expect(found("shawshenk")).toEqual([7]);
    expect(found("shwashank redemtion")).toEqual([7]);
    expect(found("godfathr part 2")).toEqual([]); // numbers must match: "2" is not "II"
  });

  it("forgives no typo in short words or numbers", () => {
    expect(found("heet")).toEqual([5]);
    expect(found("hea 1996")).toEqual([]);
    expect(editDistance("godfater", "godfather", 2)).toBe(1);
    expect(editDistance("abcdef", "badcfe", 2)).toBe(3);
  });

  it("finds nothing for an empty query (the list is for finding a particular movie)", () => {
    expect(found("  ")).toEqual([]);
  });
});
