import { useCallback, useEffect, useLayoutEffect, useRef } from "react";
import type { Answers, Movie, RatedMovie, RatingScale } from "../types";
import { MovieRow } from "./MovieRow";
import { StatusMessage } from "./StatusMessage";

interface RatedListProps {
  moviesById: ReadonlyMap<number, Movie>;
  scale: RatingScale;
  /** Newest first. */
  ratings: RatedMovie[];
  onRate: (movieId: number, rating: number | null) => void;
  /** How many movies are marked "Haven't seen it" ("Clear all" clears them too). */
  skippedCount: number;
  onClearAll: () => void;
  /** What "Clear all" removed, while it can be undone. */
  cleared: Answers | null;
  onUndo: () => void;
}

/**
 * The movies the person has rated, newest first, where ratings can be changed
 * or removed. Focus never drops to the top of the page: removing a rating moves
 * it to the next row's remove button (or the heading when none is left), "Clear
 * all" moves it to "Undo", and "Undo" to the heading.
 */
/** "3 ratings and 2 skips", leaving out what is zero. */
export function countWords(ratings: number, skips: number): string {
  const parts = [];
  if (ratings > 0 || skips === 0) parts.push(`${ratings} ${ratings === 1 ? "rating" : "ratings"}`);
  if (skips > 0) parts.push(`${skips} ${skips === 1 ? "skip" : "skips"}`);
  return parts.join(" and ");
}

export function RatedList({ moviesById, scale, ratings, skippedCount, onRate, onClearAll, cleared, onUndo }: RatedListProps) {
  const listRef = useRef<HTMLUListElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const undoRef = useRef<HTMLButtonElement>(null);
  const removedAt = useRef<number | null>(null);
  const focusHeading = useRef(false);

  const rated = ratings.flatMap((r) => {
    const movie = moviesById.get(r.movie_id);
    return movie ? [{ movie, rating: r.rating }] : [];
  });

  useLayoutEffect(() => {
    if (removedAt.current !== null) {
      const buttons = listRef.current?.querySelectorAll<HTMLButtonElement>(".clear-button");
      const next = buttons && buttons.length > 0 ? buttons[Math.min(removedAt.current, buttons.length - 1)] : null;
      (next ?? headingRef.current)?.focus();
      removedAt.current = null;
    }
    if (focusHeading.current) {
      headingRef.current?.focus();
      focusHeading.current = false;
    }
  }, [ratings]);

  useEffect(() => {
    if (cleared) undoRef.current?.focus();
  }, [cleared]);

  const remove = useCallback(
    (movieId: number) => {
      removedAt.current = ratings.findIndex((r) => r.movie_id === movieId);
      onRate(movieId, null);
    },
    [ratings, onRate],
  );

  return (
    <section className="panel rated" id="rated" aria-labelledby="rated-heading">
      <div className="panel-head">
        <h2 id="rated-heading" ref={headingRef} tabIndex={-1}>
          Your ratings ({rated.length})
        </h2>
        {rated.length + skippedCount > 0 ? (
          <button type="button" className="link-button" onClick={onClearAll}>
            Clear all {countWords(rated.length, skippedCount)}
          </button>
        ) : null}
      </div>
      {cleared ? (
        <StatusMessage
          kind="info"
          action={
            <button
              type="button"
              ref={undoRef}
              onClick={() => {
                focusHeading.current = true;
                onUndo();
              }}
            >
              Undo
            </button>
          }
        >
          Cleared {countWords(cleared.ratings.length, cleared.skipped.length)}.
        </StatusMessage>
      ) : null}
      {rated.length === 0 ? (
        cleared ? null : <p className="empty">Nothing rated yet. Rate the movies above, or find one you have seen.</p>
      ) : (
        <ul className="movie-list" aria-label="Rated movies" ref={listRef}>
          {rated.map(({ movie, rating }) => (
            <MovieRow
              key={movie.movie_id}
              movie={movie}
              scale={scale}
              rating={rating}
              onRate={onRate}
              onRemove={remove}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
