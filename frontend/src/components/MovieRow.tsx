import { memo } from "react";
import { movieLabel } from "../format";
import type { Movie, RatingScale } from "../types";
import { Genres } from "./Genres";
import { StarRating } from "./StarRating";

interface MovieRowProps {
  movie: Movie;
  scale: RatingScale;
  rating: number | undefined;
  onRate: (movieId: number, rating: number | null) => void;
  /** Show a button that removes the rating (in "Your ratings"). */
  onRemove?: (movieId: number) => void;
}

/** One movie: title, year, genres, stars, and a remove button where asked for. Re-renders only when its props change. */
export const MovieRow = memo(function MovieRow({ movie, scale, rating, onRate, onRemove }: MovieRowProps) {
  const label = movieLabel(movie.title, movie.year);
  return (
    <li className="movie-row" data-movie-id={movie.movie_id}>
      <span className="movie-info">
        <span className="movie-title">
          {movie.title}
          {movie.year ? <span className="movie-year"> ({movie.year})</span> : null}
        </span>
        <Genres genres={movie.genres} />
      </span>
      <span className="movie-controls">
        <StarRating scale={scale} value={rating} onChange={(v) => onRate(movie.movie_id, v)} label={`Your rating for ${label}`} />
        {onRemove ? (
          <button type="button" className="clear-button" onClick={() => onRemove(movie.movie_id)} aria-label={`Clear rating for ${label}`}>
            ✕
          </button>
        ) : null}
      </span>
    </li>
  );
});
