/** Ratings kept in localStorage so they survive a reload. */
import type { Ratings } from "./types";

export const STORAGE_KEY = "screen-genius.ratings.v1";

export function loadRatings(): Ratings {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    if (!raw) return {};
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const ratings: Ratings = {};
    for (const [id, value] of Object.entries(parsed)) {
      if (/^\d+$/.test(id) && typeof value === "number" && Number.isFinite(value)) ratings[Number(id)] = value;
    }
    return ratings;
  } catch {
    return {}; // storage disabled or corrupt: start empty rather than fail
  }
}

export function saveRatings(ratings: Ratings): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(ratings));
  } catch {
    // Private mode or quota: ratings still work for this visit.
  }
}
