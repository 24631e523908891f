import { memo } from "react";
import { movieLabel } from "../format";
import type { RatingScale, Recommendation } from "../types";
import { Because } from "./Because";
import { Genres } from "./Genres";
import { StarRating } from "./StarRating";

interface RecCardProps {
  rec: Recommendation;
  scale: RatingScale;
  rating: number | undefined;
  onRate: (movieId: number, rating: number | null) => void;
  /** The person touched or focused this card. */
  onActive: (movieId: number) => void;
}

/** One recommendation: title, year, genres, predicted stars, the reason, and stars to rate it if seen. */
export const RecCard = memo(function RecCard({ rec, scale, rating, onRate, onActive }: RecCardProps) {
  const label = movieLabel(rec.title, rec.year);
  const predicted = Math.round(rec.predicted_rating * 10) / 10;
  return (
    <li className="rec-card" data-movie-id={rec.movie_id} onFocus={() => onActive(rec.movie_id)} onPointerDown={() => onActive(rec.movie_id)}>
      <div className="rec-head">
        <span className="movie-title">
          {rec.title}
          {rec.year ? <span className="movie-year"> ({rec.year})</span> : null}
        </span>
        <span className="predicted" role="img" aria-label={`predicted ${predicted.toFixed(1)} stars`}>
          {predicted.toFixed(1)} ★
        </span>
      </div>
      <Genres genres={rec.genres} />
      <Because because={rec.because} />
      <div className="rate-here">
        <span className="rate-prompt">{rating === undefined ? "Seen it?" : "Rated, moved to your ratings"}</span>
        <StarRating scale={scale} value={rating} onChange={(v) => onRate(rec.movie_id, v)} label={`Your rating for ${label}`} />
      </div>
    </li>
  );
});
