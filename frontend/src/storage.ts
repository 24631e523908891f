/**
 * The person's answers in localStorage, so they survive a reload: ratings in
 * the order they were made (newest first) and the movies they have not seen.
 * Ratings saved by the first version of the site (an id -> stars object) are read too.
 */
import type { Answers, RatedMovie } from "./types";

export const STORAGE_KEY = "screen-genius.answers.v2";
/** The first site's key: {"<movie_id>": stars}. Read once, then replaced by STORAGE_KEY. */
export const LEGACY_STORAGE_KEY = "screen-genius.ratings.v1";

const EMPTY: Answers = { ratings: [], skipped: [] };

function isId(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function isStars(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** Valid entries only, each movie once (first occurrence wins), a skipped movie never also rated. */
export function cleanAnswers(raw: unknown): Answers {
  if (typeof raw !== "object" || raw === null) return EMPTY;
  const { ratings, skipped } = raw as { ratings?: unknown; skipped?: unknown };
  const seen = new Set<number>();
  const cleanRatings: RatedMovie[] = [];
  for (const item of Array.isArray(ratings) ? ratings : []) {
    const { movie_id, rating } = (item ?? {}) as { movie_id?: unknown; rating?: unknown };
    if (isId(movie_id) && isStars(rating) && !seen.has(movie_id)) {
      seen.add(movie_id);
      cleanRatings.push({ movie_id, rating });
    }
  }
  const cleanSkipped: number[] = [];
  for (const id of Array.isArray(skipped) ? skipped : []) {
    if (isId(id) && !seen.has(id)) {
      seen.add(id);
      cleanSkipped.push(id);
    }
  }
  return { ratings: cleanRatings, skipped: cleanSkipped };
}

function legacyAnswers(raw: string): Answers {
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return EMPTY;
  const ratings = Object.entries(parsed)
    .filter(([id]) => /^\d+$/.test(id))
    .map(([id, rating]) => ({ movie_id: Number(id), rating }));
  return cleanAnswers({ ratings, skipped: [] });
}

export function loadAnswers(): Answers {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    if (raw) return cleanAnswers(JSON.parse(raw));
    const legacy = window.localStorage.getItem(LEGACY_STORAGE_KEY);
    return legacy ? legacyAnswers(legacy) : EMPTY;
  } catch {
    return EMPTY; // storage disabled or corrupt: start empty rather than fail
  }
}

export function saveAnswers(answers: Answers): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(answers));
    window.localStorage.removeItem(LEGACY_STORAGE_KEY);
  } catch {
    // Private mode or quota: answers still work for this visit.
  }
}
