import type { Movie, RatingScale, Ratings } from "../types";
import { MovieRow } from "./MovieRow";

interface RatedListProps {
  movies: Movie[];
  scale: RatingScale;
  ratings: Ratings;
  onRate: (movieId: number, rating: number | null) => void;
  onClearAll: () => void;
}

/** The movies the user has rated, where ratings can be changed or cleared. */
export function RatedList({ movies, scale, ratings, onRate, onClearAll }: RatedListProps) {
  const rated = movies.filter((m) => ratings[m.movie_id] !== undefined);
  return (
    <section className="panel" aria-labelledby="rated-heading">
      <div className="panel-head">
        <h2 id="rated-heading">Your ratings ({rated.length})</h2>
        {rated.length > 0 ? (
          <button type="button" className="link-button" onClick={onClearAll}>
            Clear all
          </button>
        ) : null}
      </div>
      {rated.length === 0 ? (
        <p className="empty">You have not rated anything yet. Search for movies you have seen and give them stars.</p>
      ) : (
        <ul className="movie-list" aria-label="Rated movies">
          {rated.map((movie) => (
            <MovieRow key={movie.movie_id} movie={movie} scale={scale} rating={ratings[movie.movie_id]} onRate={onRate} />
          ))}
        </ul>
      )}
    </section>
  );
}
