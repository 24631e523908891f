import { movieLabel } from "../format";
import type { Movie, RatingScale } from "../types";
import { StarRating } from "./StarRating";

interface MovieRowProps {
  movie: Movie;
  scale: RatingScale;
  rating: number | undefined;
  onRate: (movieId: number, rating: number | null) => void;
}

/** One catalog movie: title, year, stars, and a clear button once rated. */
export function MovieRow({ movie, scale, rating, onRate }: MovieRowProps) {
  const label = movieLabel(movie.title, movie.year);
  return (
    <li className="movie-row" data-movie-id={movie.movie_id}>
      <span className="movie-title">
        {movie.title}
        {movie.year ? <span className="movie-year"> ({movie.year})</span> : null}
      </span>
      <span className="movie-controls">
        <StarRating
          scale={scale}
          value={rating}
          onChange={(v) => onRate(movie.movie_id, v)}
          label={`Your rating for ${label}`}
        />
        <button
          type="button"
          className="clear-button"
          onClick={() => onRate(movie.movie_id, null)}
          aria-label={`Clear rating for ${label}`}
          hidden={rating === undefined}
        >
          ✕
        </button>
      </span>
    </li>
  );
}
