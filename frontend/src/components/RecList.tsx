import { formatStars, movieLabel } from "../format";
import type { Recommendation } from "../types";

interface RecListProps {
  id: string;
  title: string;
  recommendations: Recommendation[];
}

/** A ranked list of recommendations with their predicted ratings. */
export function RecList({ id, title, recommendations }: RecListProps) {
  return (
    <section className="rec-list" aria-labelledby={`${id}-heading`} data-testid={id}>
      <h3 id={`${id}-heading`}>{title}</h3>
      <ol>
        {recommendations.map((rec) => (
          <li key={rec.movie_id} data-movie-id={rec.movie_id}>
            <span className="movie-title">{movieLabel(rec.title, rec.year)}</span>
            <span className="predicted" aria-label={`predicted ${rec.predicted_rating.toFixed(2)} stars`}>
              {formatStars(Math.round(rec.predicted_rating * 10) / 10)} ★
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
