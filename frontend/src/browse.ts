/** Ways into the catalog without typing: by genre, by decade, most rated first. */
import { genreList } from "./format";
import type { Movie } from "./types";

export interface BrowseFilter {
  /** A genre, or "" for any. */
  genre: string;
  /** A decade's first year (1990 for the 1990s), or null for any. */
  decade: number | null;
}

export const ANY: BrowseFilter = { genre: "", decade: null };

/** The catalog's genres, most common first (ties by name). */
export function genresOf(movies: readonly Movie[]): string[] {
  const counts = new Map<string, number>();
  for (const m of movies) for (const g of genreList(m.genres)) counts.set(g, (counts.get(g) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([g]) => g);
}

/** The catalog's decades, newest first. */
export function decadesOf(movies: readonly Movie[]): number[] {
  const decades = new Set<number>();
  for (const m of movies) if (m.year) decades.add(Math.floor(m.year / 10) * 10);
  return [...decades].sort((a, b) => b - a);
}

/** Movies of that genre and decade, most rated first (the catalog's own order, or n_ratings when sent). */
export function browseMovies(movies: readonly Movie[], filter: BrowseFilter): Movie[] {
  const found = movies.filter(
    (m) =>
      (filter.genre === "" || genreList(m.genres).includes(filter.genre)) &&
      (filter.decade === null || (m.year !== null && Math.floor(m.year / 10) * 10 === filter.decade)),
  );
  if (found.every((m) => typeof m.n_ratings === "number")) {
    return found
      .map((m, at) => ({ m, at }))
      .sort((a, b) => (b.m.n_ratings ?? 0) - (a.m.n_ratings ?? 0) || a.at - b.at)
      .map(({ m }) => m);
  }
  return found;
}
