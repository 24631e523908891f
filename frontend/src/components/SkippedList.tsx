import { useLayoutEffect, useRef } from "react";
import { movieLabel } from "../format";
import type { Movie } from "../types";

interface SkippedListProps {
  moviesById: ReadonlyMap<number, Movie>;
  /** Movies marked "Haven't seen it", in the order they were skipped. */
  skipped: number[];
  onUnskip: (movieId: number) => void;
}

/**
 * The movies the person said they have not seen, each with "Undo" (it may be
 * asked about again). Focus moves to the next row's button when one goes, or
 * to the heading when none is left.
 */
export function SkippedList({ moviesById, skipped, onUnskip }: SkippedListProps) {
  const listRef = useRef<HTMLUListElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const removedAt = useRef<number | null>(null);
  const movies = skipped.flatMap((id) => {
    const movie = moviesById.get(id);
    return movie ? [movie] : [];
  });

  useLayoutEffect(() => {
    if (removedAt.current === null) return;
    const buttons = listRef.current?.querySelectorAll<HTMLButtonElement>("button");
    const next = buttons && buttons.length > 0 ? buttons[Math.min(removedAt.current, buttons.length - 1)] : null;
    (next ?? headingRef.current)?.focus();
    removedAt.current = null;
  }, [skipped]);

  return (
    <section className="panel skipped" id="skipped" aria-labelledby="skipped-heading">
      <h2 id="skipped-heading" ref={headingRef} tabIndex={-1}>
        Haven’t seen ({movies.length})
      </h2>
      {movies.length === 0 ? (
        <p className="empty">Movies you mark “Haven’t seen it” are listed here, and are not asked about again.</p>
      ) : (
        <ul className="movie-list" aria-label="Skipped movies" ref={listRef}>
          {movies.map((movie, i) => (
            <li key={movie.movie_id} className="movie-row" data-movie-id={movie.movie_id}>
              <span className="movie-info">
                <span className="movie-title">
                  {movie.title}
                  {movie.year ? <span className="movie-year"> ({movie.year})</span> : null}
                </span>
              </span>
              <button
                type="button"
                className="small-button"
                aria-label={`Undo “haven’t seen it” for ${movieLabel(movie.title, movie.year)}`}
                onClick={() => {
                  removedAt.current = i;
                  onUnskip(movie.movie_id);
                }}
              >
                Undo
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
