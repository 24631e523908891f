import { useCallback, useEffect, useMemo, useState } from "react";
import { loadAnswers, saveAnswers } from "../storage";
import type { Answers } from "../types";

export interface AnswersApi {
  answers: Answers;
  /** movie_id -> stars, for looking a rating up. */
  ratingOf: ReadonlyMap<number, number>;
  /**
   * Rate a movie, or clear its rating with null. A new rating goes first (newest
   * first); changing a rating keeps its place. A rated movie is no longer skipped.
   */
  rate: (movieId: number, rating: number | null) => void;
  /** "Haven't seen it": never asked again. */
  skip: (movieId: number) => void;
  /** Take a "Haven't seen it" back: the movie may be asked about again. */
  unskip: (movieId: number) => void;
  /** Clear every rating and every skip; `undo` brings them back until the next answer. */
  clearAll: () => void;
  /** The answers "Clear all" removed, while they can still be restored. */
  cleared: Answers | null;
  undo: () => void;
  /** Drop answers about movies not in the catalog (e.g. after a model change). */
  keepOnly: (movieIds: ReadonlySet<number>) => void;
}

/** The person's ratings and skipped movies, persisted in localStorage. */
export function useAnswers(): AnswersApi {
  const [answers, setAnswers] = useState<Answers>(loadAnswers);
  const [cleared, setCleared] = useState<Answers | null>(null);

  useEffect(() => saveAnswers(answers), [answers]);

  const ratingOf = useMemo(() => new Map(answers.ratings.map((r) => [r.movie_id, r.rating])), [answers.ratings]);

  const rate = useCallback((movieId: number, rating: number | null) => {
    setCleared(null);
    setAnswers((current) => {
      const at = current.ratings.findIndex((r) => r.movie_id === movieId);
      let ratings = current.ratings;
      if (rating === null) {
        if (at < 0) return current;
        ratings = ratings.filter((r) => r.movie_id !== movieId);
      } else if (at >= 0) {
        if (ratings[at].rating === rating) return current;
        ratings = ratings.map((r, i) => (i === at ? { movie_id: movieId, rating } : r));
      } else {
        ratings = [{ movie_id: movieId, rating }, ...ratings];
      }
      const skipped = current.skipped.includes(movieId) ? current.skipped.filter((id) => id !== movieId) : current.skipped;
      return { ratings, skipped };
    });
  }, []);

  const unskip = useCallback((movieId: number) => {
    setAnswers((current) =>
      current.skipped.includes(movieId) ? { ...current, skipped: current.skipped.filter((id) => id !== movieId) } : current,
    );
  }, []);

  const skip = useCallback((movieId: number) => {
    setCleared(null);
    setAnswers((current) =>
      current.skipped.includes(movieId) || current.ratings.some((r) => r.movie_id === movieId)
        ? current
        : { ...current, skipped: [...current.skipped, movieId] },
    );
  }, []);

  const clearAll = useCallback(() => {
    if (answers.ratings.length === 0 && answers.skipped.length === 0) return;
    setCleared(answers);
    setAnswers({ ratings: [], skipped: [] });
  }, [answers]);

  const undo = useCallback(() => {
    if (!cleared) return;
    setAnswers(cleared);
    setCleared(null);
  }, [cleared]);

  const keepOnly = useCallback((movieIds: ReadonlySet<number>) => {
    setAnswers((current) => {
      const ratings = current.ratings.filter((r) => movieIds.has(r.movie_id));
      const skipped = current.skipped.filter((id) => movieIds.has(id));
      return ratings.length === current.ratings.length && skipped.length === current.skipped.length
        ? current
        : { ratings, skipped };
    });
  }, []);

  return { answers, ratingOf, rate, skip, unskip, clearAll, cleared, undo, keepOnly };
}
