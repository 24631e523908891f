import { useEffect, useState } from "react";
import type { Movie, RatingScale } from "../types";
import { MovieRow } from "./MovieRow";

/** How many movies to show before "Show more". */
export const PAGE_SIZE = 25;

interface CatalogListProps {
  /** The movies to list, in order (search results or a browse). */
  movies: Movie[];
  /** Says what the list is, e.g. "12 movies match" or "Comedy, most rated first". */
  caption: string;
  /** Starts the paging over when it changes (a new query or browse). */
  resetKey: string;
  scale: RatingScale;
  ratingOf: ReadonlyMap<number, number>;
  onRate: (movieId: number, rating: number | null) => void;
}

/** A list of catalog movies with stars to rate them, a page at a time. */
export function CatalogList({ movies, caption, resetKey, scale, ratingOf, onRate }: CatalogListProps) {
  const [limit, setLimit] = useState(PAGE_SIZE);
  useEffect(() => setLimit(PAGE_SIZE), [resetKey]);
  const shown = movies.slice(0, limit);
  return (
    <>
      <p className="count" role="status">
        {caption}
      </p>
      <ul className="movie-list" aria-label="Movies">
        {shown.map((movie) => (
          <MovieRow key={movie.movie_id} movie={movie} scale={scale} rating={ratingOf.get(movie.movie_id)} onRate={onRate} />
        ))}
      </ul>
      {movies.length > shown.length ? (
        <button type="button" className="more" onClick={() => setLimit((n) => n + PAGE_SIZE)}>
          Show {Math.min(PAGE_SIZE, movies.length - shown.length)} more ({movies.length - shown.length} left)
        </button>
      ) : null}
    </>
  );
}
