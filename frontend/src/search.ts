/**
 * Catalog search that ignores accents, case, punctuation and spacing, looks
 * at a movie's other titles too, and forgives a typo or two:
 * "Leon" finds "Léon", "WALL-E" finds "WALL·E", "spiderman" finds "Spider-Man",
 * "fabuleux destin" finds "Amélie", "godfater" finds "The Godfather".
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

/** What search compares a movie with: its whole key (title, other titles, year) and each word of them. */
export interface SearchEntry {
  key: string;
  words: string[];
}

/** movie_id -> search entry of "title aka… year", computed once per catalog. */
export function searchKeys(movies: readonly Movie[]): Map<number, SearchEntry> {
  return new Map(
    movies.map((m) => {
      const text = [m.title, ...(m.aka ?? []), m.year ?? ""].join(" ");
      const words = [...new Set(text.split(/[\s\-–:,.·/]+/).map(searchKey).filter(Boolean))];
      return [m.movie_id, { key: words.join(" ") + " " + searchKey(text), words }];
    }),
  );
}

/** Typos forgiven in a query word: none under 4 letters or in a number (a year), one up to 6 letters, two from 7. */
export function allowedTypos(word: string): number {
  if (/\d/.test(word)) return 0;
  return word.length < 4 ? 0 : word.length < 7 ? 1 : 2;
}

/**
 * Edit distance (insertions, deletions, substitutions, swaps of neighbours)
 * between a and b, or limit + 1 as soon as it must exceed limit.
 */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > limit) return limit + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length];
}

/** Typos between a query word and the closest title word (or its start, for a word still being typed). */
function wordTypos(word: string, words: readonly string[]): number {
  const limit = allowedTypos(word);
  let best = limit + 1;
  for (const w of words) {
    best = Math.min(best, editDistance(word, w, limit));
    if (w.length > word.length) best = Math.min(best, editDistance(word, w.slice(0, word.length), limit));
    if (best === 0) break;
  }
  return best;
}

/**
 * Movies matching every word of the query: exact matches (the word appears in
 * the title, another title or the year) in catalog order; when there are
 * none, near matches (each word within its allowed typos of a title word),
 * fewest typos first.
 */
export function searchMovies(movies: readonly Movie[], keys: ReadonlyMap<number, SearchEntry>, query: string): Movie[] {
  const words = queryKeys(query);
  if (words.length === 0) return [];
  const exact = movies.filter((m) => {
    const key = keys.get(m.movie_id)?.key ?? "";
    return words.every((w) => key.includes(w));
  });
  if (exact.length > 0) return exact;
  const near: { movie: Movie; typos: number; at: number }[] = [];
  movies.forEach((m, at) => {
    const entry = keys.get(m.movie_id);
    if (!entry) return;
    let typos = 0;
    for (const w of words) {
      const t = entry.key.includes(w) ? 0 : wordTypos(w, entry.words);
      if (t > allowedTypos(w)) return;
      typos += t;
    }
    near.push({ movie: m, typos, at });
  });
  near.sort((a, b) => a.typos - b.typos || a.at - b.at);
  return near.map((n) => n.movie);
}
