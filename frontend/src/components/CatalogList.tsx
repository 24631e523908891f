import { useMemo, useState } from "react";
import { searchMovies } from "../search";
import type { Movie, RatingScale } from "../types";
import { MovieRow } from "./MovieRow";

/** How many matches to show before "Show more". */
export const PAGE_SIZE = 25;

interface CatalogListProps {
  movies: Movie[];
  searchKeys: ReadonlyMap<number, string>;
  scale: RatingScale;
  ratingOf: ReadonlyMap<number, number>;
  query: string;
  onRate: (movieId: number, rating: number | null) => void;
}

/** Catalog movies matching the search (accents, case, punctuation and spacing ignored), a page at a time. */
export function CatalogList({ movies, searchKeys, scale, ratingOf, query, onRate }: CatalogListProps) {
  const [limit, setLimit] = useState(PAGE_SIZE);
  const found = useMemo(() => searchMovies(movies, searchKeys, query), [movies, searchKeys, query]);
  const shown = found.slice(0, limit);

  if (query.trim() === "") {
    return <p className="hint">Type part of a title or a year to find a movie you have seen.</p>;
  }
  if (found.length === 0) {
    return (
      <p className="empty" role="status">
        No movie matches “{query}”. Try another part of the title.
      </p>
    );
  }
  return (
    <>
      <p className="count" role="status">
        {found.length === 1 ? "1 movie matches" : `${found.length} movies match`}
      </p>
      <ul className="movie-list" aria-label="Movies">
        {shown.map((movie) => (
          <MovieRow key={movie.movie_id} movie={movie} scale={scale} rating={ratingOf.get(movie.movie_id)} onRate={onRate} />
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
