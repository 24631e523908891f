import { useCallback, useLayoutEffect, useRef } from "react";
import type { RatingScale, Recommendation } from "../types";
import { RecCard } from "./RecCard";

interface RecListProps {
  id: string;
  title: string;
  recommendations: Recommendation[];
  scale: RatingScale;
  ratingOf: ReadonlyMap<number, number>;
  onRate: (movieId: number, rating: number | null) => void;
}

/**
 * A ranked list of recommendations. A movie rated here leaves the list with the
 * next answer, except the one the person is on: it stays where it was until they
 * move on, so focus and the arrow keys are not lost.
 */
export function RecList({ id, title, recommendations, scale, ratingOf, onRate }: RecListProps) {
  const active = useRef<number | null>(null);
  const shownBefore = useRef<Recommendation[]>([]);
  const onActive = useCallback((movieId: number) => {
    active.current = movieId;
  }, []);

  let shown = recommendations;
  const activeId = active.current;
  if (activeId !== null && ratingOf.has(activeId) && !recommendations.some((r) => r.movie_id === activeId)) {
    const at = shownBefore.current.findIndex((r) => r.movie_id === activeId);
    if (at >= 0) shown = [...recommendations.slice(0, at), shownBefore.current[at], ...recommendations.slice(at)];
  }
  useLayoutEffect(() => {
    shownBefore.current = shown;
  });

  return (
    <section className="rec-list" aria-labelledby={`${id}-heading`} data-testid={id}>
      <h3 id={`${id}-heading`}>{title}</h3>
      <ol
        onBlur={(event) => {
          if (!event.currentTarget.contains(event.relatedTarget as Node | null)) active.current = null;
        }}
      >
        {shown.map((rec) => (
          <RecCard
            key={rec.movie_id}
            rec={rec}
            scale={scale}
            rating={ratingOf.get(rec.movie_id)}
            onRate={onRate}
            onActive={onActive}
          />
        ))}
      </ol>
    </section>
  );
}
