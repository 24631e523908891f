import { memo } from "react";
import { movieLabel } from "../format";
import type { Ask, RatingScale } from "../types";
import { Genres } from "./Genres";
import { StarRating } from "./StarRating";

interface GuidedCardProps {
  /** Which of the panel's slots this card is in. */
  slot: number;
  movie: Ask;
  scale: RatingScale;
  rating: number | undefined;
  onRate: (movieId: number, rating: number | null) => void;
  onSkip: (movieId: number) => void;
  /** The person touched or focused this card (it stays put once rated, until they move on). */
  onActive: (slot: number) => void;
}

/** One movie the function would like rated: stars, or "Haven't seen it". */
export const GuidedCard = memo(function GuidedCard({ slot, movie, scale, rating, onRate, onSkip, onActive }: GuidedCardProps) {
  const label = movieLabel(movie.title, movie.year);
  return (
    <li className="guided-card" data-movie-id={movie.movie_id} onFocus={() => onActive(slot)} onPointerDown={() => onActive(slot)}>
      <p className="card-title">
        <span className="movie-title">{movie.title}</span>
        {movie.year ? <span className="movie-year"> ({movie.year})</span> : null}
      </p>
      <Genres genres={movie.genres} />
      <StarRating scale={scale} value={rating} onChange={(v) => onRate(movie.movie_id, v)} label={`Your rating for ${label}`} />
      {rating === undefined ? (
        <button type="button" className="skip-button" onClick={() => onSkip(movie.movie_id)} aria-label={`Haven’t seen it: ${label}`}>
          Haven’t seen it
        </button>
      ) : (
        <p className="card-done">Rated. It is in your ratings.</p>
      )}
    </li>
  );
});
