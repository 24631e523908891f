import { useCallback, useEffect, useState } from "react";
import { loadRatings, saveRatings } from "../storage";
import type { Ratings } from "../types";

export interface RatingsApi {
  ratings: Ratings;
  /** Set a movie's rating, or clear it with null. */
  rate: (movieId: number, rating: number | null) => void;
  clearAll: () => void;
  /** Drop ratings of movies that are not in the catalog (e.g. after a model change). */
  keepOnly: (movieIds: ReadonlySet<number>) => void;
}

/** The user's ratings, persisted in localStorage. */
export function useRatings(): RatingsApi {
  const [ratings, setRatings] = useState<Ratings>(loadRatings);

  useEffect(() => saveRatings(ratings), [ratings]);

  const rate = useCallback((movieId: number, rating: number | null) => {
    setRatings((current) => {
      const next = { ...current };
      if (rating === null) delete next[movieId];
      else next[movieId] = rating;
      return next;
    });
  }, []);

  const clearAll = useCallback(() => setRatings({}), []);

  const keepOnly = useCallback((movieIds: ReadonlySet<number>) => {
    setRatings((current) => {
      const kept = Object.entries(current).filter(([id]) => movieIds.has(Number(id)));
      return kept.length === Object.keys(current).length ? current : Object.fromEntries(kept);
    });
  }, []);

  return { ratings, rate, clearAll, keepOnly };
}
