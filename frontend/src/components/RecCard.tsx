import { memo, useEffect, useRef, useState } from "react";
import { movieLabel, starsLabel } from "../format";
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

/**
 * One recommendation: title, year, genres, predicted stars and the reason. "Seen
 * it? Rate it" is an action: it opens the stars, so the card does not carry a
 * row of empty stars that reads like a rating.
 */
export const RecCard = memo(function RecCard({ rec, scale, rating, onRate, onActive }: RecCardProps) {
  const [open, setOpen] = useState(false);
  const starsRef = useRef<HTMLDivElement>(null);
  const doneRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (open) starsRef.current?.querySelector<HTMLInputElement>("input")?.focus(); // straight to the stars
  }, [open]);
  useEffect(() => {
    // The stars just rated give way to the words: focus goes there rather than to the page's top.
    if (rating !== undefined && open) doneRef.current?.focus();
  }, [rating, open]);
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
      <div className="rec-foot">
        <Because because={rec.because} />
        {rating !== undefined ? (
          <p className="rate-done" ref={doneRef} tabIndex={-1}>
            You rated it {starsLabel(rating)}: it is in your ratings.</p>
        ) : open ? (
          <div className="rate-here" ref={starsRef}>
            <StarRating scale={scale} value={rating} onChange={(v) => onRate(rec.movie_id, v)} label={`Your rating for ${label}`} />
          </div>
        ) : (
          <button type="button" className="seen-button" aria-label={`Seen it? Rate it: ${label}`} onClick={() => setOpen(true)}>
            Seen it? Rate it
          </button>
        )}
      </div>
    </li>
  );
});
