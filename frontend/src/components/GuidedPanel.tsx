import { useCallback, useLayoutEffect, useRef, useState } from "react";
import type { Ask, RatingScale } from "../types";
import { GuidedCard } from "./GuidedCard";
import { StatusMessage } from "./StatusMessage";

/** How many movies the panel asks about at once. */
export const GUIDED_SLOTS = 6;

interface GuidedPanelProps {
  /** Unanswered movies to ask about, most useful first; null while the first answer is on its way. */
  candidates: Ask[] | null;
  scale: RatingScale;
  ratingOf: ReadonlyMap<number, number>;
  onRate: (movieId: number, rating: number | null) => void;
  onSkip: (movieId: number) => void;
  /** How many movies to ask about at once (fewer on a phone, so the lists come sooner). */
  size?: number;
}

/**
 * Slots keep their place as the panel refills, so nothing moves under the
 * pointer: a slot whose movie is still asked for keeps it; an answered slot
 * takes the next movie asked for, except the one the person is on, which
 * stays (showing its stars) until they move on, so arrow keys never start
 * rating a different movie.
 */
export function reconcileSlots(prev: Ask[], candidates: Ask[], pinned: (slot: number, movie: Ask) => boolean, size: number): Ask[] {
  const wanted = new Map(candidates.map((c) => [c.movie_id, c]));
  const next: (Ask | null)[] = prev.map((m, i) => wanted.get(m.movie_id) ?? (pinned(i, m) ? m : null));
  const used = new Set(next.flatMap((m) => (m ? [m.movie_id] : [])));
  const fill = candidates.filter((c) => !used.has(c.movie_id));
  for (let i = 0; i < size; i += 1) if (!next[i]) next[i] = fill.shift() ?? null;
  const result = next.filter((m): m is Ask => m !== null);
  const same = result.length === prev.length && result.every((m, i) => m.movie_id === prev[i].movie_id);
  return same ? prev : result;
}

/** "Rate what you have seen": the function's `ask_next` movies as cards, refilled after every answer. */
export function GuidedPanel({ candidates, scale, ratingOf, onRate, onSkip, size = GUIDED_SLOTS }: GuidedPanelProps) {
  const [slots, setSlots] = useState<Ask[]>([]);
  const active = useRef<number | null>(null);
  const ratingOfRef = useRef(ratingOf);
  const onActive = useCallback((slot: number) => {
    active.current = slot;
  }, []);

  useLayoutEffect(() => {
    ratingOfRef.current = ratingOf;
  });

  useLayoutEffect(() => {
    if (candidates === null) return;
    const pinned = (slot: number, movie: Ask) => slot === active.current && ratingOfRef.current.has(movie.movie_id);
    setSlots((prev) => reconcileSlots(prev.slice(0, size), candidates, pinned, size));
  }, [candidates, size]);

  return (
    <section
      className="panel guided"
      aria-labelledby="guided-heading"
      onBlur={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) active.current = null;
      }}
    >
      <h2 id="guided-heading">Rate what you have seen</h2>
      <p className="hint">
        Each answer picks the next movies to ask about. Skip the ones you have not seen. Keys: arrows then Enter, or 1–5
        (Shift adds ½).
      </p>
      {candidates === null && slots.length === 0 ? (
        <StatusMessage kind="loading">Choosing movies to ask you about…</StatusMessage>
      ) : slots.length === 0 ? (
        <p className="empty">You have answered every movie we could ask about. Search for more below.</p>
      ) : (
        <ul className="guided-cards" aria-label="Movies to rate">
          {slots.map((movie, i) => (
            <GuidedCard
              // Keyed by slot: when a slot gets its next movie, focus stays on its button.
              key={i}
              slot={i}
              movie={movie}
              scale={scale}
              rating={ratingOf.get(movie.movie_id)}
              onRate={onRate}
              onSkip={onSkip}
              onActive={onActive}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
