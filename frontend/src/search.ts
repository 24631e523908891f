/**
 * Catalog search that ignores accents, case, punctuation and spacing:
 * "Leon" finds "Léon", "WALL-E" finds "WALL·E", "spiderman" finds "Spider-Man".
 */
import type { Movie } from "./types";

/** Letters and digits only, lower case, accents removed: "Spider-Man" -> "spiderman". */
export function searchKey(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "");
}

/** Each word of the query, as search keys (empty words dropped). */
export function queryKeys(query: string): string[] {
  return query.split(/\s+/).map(searchKey).filter(Boolean);
}

/** Movies whose title and year contain every word of the query, in catalog order. */
export function searchMovies(movies: readonly Movie[], keys: ReadonlyMap<number, string>, query: string): Movie[] {
  const words = queryKeys(query);
  if (words.length === 0) return [];
  return movies.filter((m) => {
    const key = keys.get(m.movie_id) ?? "";
    return words.every((w) => key.includes(w));
  });
}

/** movie_id -> search key of "title year", computed once per catalog. */
export function searchKeys(movies: readonly Movie[]): Map<number, string> {
  return new Map(movies.map((m) => [m.movie_id, searchKey(`${m.title} ${m.year ?? ""}`)]));
}
