import { useMemo, useState } from "react";
import type { Movie, RatingScale, Ratings } from "../types";
import { MovieRow } from "./MovieRow";

/** How many matches to show before "Show more". */
export const PAGE_SIZE = 25;

interface CatalogListProps {
  movies: Movie[];
  scale: RatingScale;
  ratings: Ratings;
  query: string;
  onRate: (movieId: number, rating: number | null) => void;
}

function matches(movie: Movie, terms: string[]): boolean {
  const text = `${movie.title} ${movie.year ?? ""}`.toLowerCase();
  return terms.every((term) => text.includes(term));
}

/** Catalog movies matching the search, a page at a time. */
export function CatalogList({ movies, scale, ratings, query, onRate }: CatalogListProps) {
  const [limit, setLimit] = useState(PAGE_SIZE);
  const terms = useMemo(() => query.toLowerCase().split(/\s+/).filter(Boolean), [query]);
  const found = useMemo(() => movies.filter((m) => matches(m, terms)), [movies, terms]);
  const shown = found.slice(0, limit);

  if (found.length === 0) {
    return (
      <p className="empty" role="status">
        No movie matches “{query}”. Try part of the title, or clear the search to browse.
      </p>
    );
  }
  return (
    <>
      <p className="count" role="status">
        {terms.length ? `${found.length} of ${movies.length} movies match` : `${movies.length} movies`}
      </p>
      <ul className="movie-list" aria-label="Movies">
        {shown.map((movie) => (
          <MovieRow key={movie.movie_id} movie={movie} scale={scale} rating={ratings[movie.movie_id]} onRate={onRate} />
        ))}
      </ul>
      {found.length > shown.length ? (
        <button type="button" className="more" onClick={() => setLimit((n) => n + PAGE_SIZE)}>
          Show more ({found.length - shown.length} left)
        </button>
      ) : null}
    </>
  );
}
