import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { scaleValues, starsLabel } from "../format";
import { useCoarsePointer } from "../hooks/useCoarsePointer";
import type { RatingScale } from "../types";

interface StarRatingProps {
  scale: RatingScale;
  value: number | undefined;
  /** Called once per committed rating (never for a preview). */
  onChange: (value: number) => void;
  /** Accessible name of the group, e.g. "Your rating for Heat (1995)". */
  label: string;
}

const EPS = 1e-9;
/** A preview made with the arrow keys commits by itself after this pause. */
export const COMMIT_PAUSE_MS = 600;
/** The id of the one visually hidden text that tells keyboard users the keys. */
export const KEYS_HINT_ID = "star-keys-hint";

const same = (a: number | undefined | null, b: number) => a !== undefined && a !== null && Math.abs(a - b) < EPS;
const fillClass = (fill: number) => (fill >= 1 - EPS ? "fill-1" : fill >= 0.5 - EPS ? "fill-half" : "fill-0");

/**
 * Stars on the dataset's scale: one native radio per allowed value (half
 * stars when the step is 0.5), so screen readers read them as any radio group.
 *
 * A rating is committed once. The arrow keys move a *preview* (focus moves to
 * that radio without checking it, and the stars show it); Enter or Space
 * commits it, and so does a pause of COMMIT_PAUSE_MS after the last arrow;
 * Escape drops it. Digits 1-5 commit whole stars at once and Shift + a digit
 * that star and a half (Shift+3 is 3½; Shift+0 is ½), so the keyboard sends one
 * request per rating, as a click does.
 *
 * With a mouse each radio is drawn as the slice of a star it stands for, at
 * least 24 px wide, and hovering previews every star up to the pointer. On a
 * touch screen ten half-star slices would be too small to hit, so each whole
 * star is one 44 px target and a "+½" / "−½" button beside them adds or takes
 * off the half star.
 */
export function StarRating({ scale, value, onChange, label }: StarRatingProps) {
  const name = useId();
  const coarse = useCoarsePointer();
  const [preview, setPreview] = useState<number | null>(null); // from the arrow keys
  const [hover, setHover] = useState<number | null>(null); // from the mouse
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const group = useRef<HTMLDivElement>(null);
  const values = scaleValues(scale);
  const shown = hover ?? preview ?? value;
  const half = scale.step < 1 - EPS;

  useEffect(() => () => clearTimeout(timer.current), []);

  const commit = (v: number) => {
    clearTimeout(timer.current);
    setPreview(null);
    if (!same(value, v)) onChange(v);
  };

  const focusValue = (v: number) => {
    const input = group.current?.querySelector<HTMLInputElement>(`input[value="${v}"]`);
    input?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLInputElement;
    const focused = target.type === "radio" ? Number(target.value) : undefined;
    const current = preview ?? focused ?? value;
    const at = current === undefined ? -1 : values.findIndex((v) => same(current, v));
    let next: number | null = null;
    if (event.key === "ArrowRight" || event.key === "ArrowUp") next = values[Math.min(values.length - 1, at + 1)];
    else if (event.key === "ArrowLeft" || event.key === "ArrowDown") next = values[Math.max(0, at < 0 ? 0 : at - 1)];
    else if (event.key === "Home") next = values[0];
    else if (event.key === "End") next = values[values.length - 1];
    if (next !== null) {
      event.preventDefault(); // no native radio change: this is only a preview
      setPreview(next);
      focusValue(next);
      clearTimeout(timer.current);
      const chosen = next;
      timer.current = setTimeout(() => commit(chosen), COMMIT_PAUSE_MS);
      return;
    }
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (preview !== null) commit(preview);
      return;
    }
    if (event.key === "Escape" && preview !== null) {
      event.preventDefault();
      clearTimeout(timer.current);
      setPreview(null);
      if (value !== undefined) focusValue(value);
      return;
    }
    const digit = /^Digit([0-9])$/.exec(event.code)?.[1] ?? (/^[0-9]$/.test(event.key) ? event.key : null);
    if (digit !== null && !event.altKey && !event.ctrlKey && !event.metaKey) {
      const wanted = Number(digit) + (event.shiftKey && half ? 0.5 : 0);
      const v = values.find((x) => same(wanted, x));
      if (v !== undefined) {
        event.preventDefault();
        commit(v);
        focusValue(v);
      }
    }
  };

  const radios = values.map((v) => (
    <input
      key={v}
      type="radio"
      className="visually-hidden"
      name={name}
      value={v}
      checked={same(value, v)}
      // A click (or a screen reader's activation) commits; arrows never reach here (see onKeyDown).
      onChange={() => commit(v)}
      aria-label={starsLabel(v)}
      aria-describedby={KEYS_HINT_ID}
    />
  ));

  if (coarse) {
    const stars = Array.from({ length: Math.round(scale.max) }, (_, i) => i + 1);
    // A whole star gets its half added (4 -> 4½; 5, the top, becomes 4½); a half star loses it (4½ -> 4).
    const up = value !== undefined && Number.isInteger(value) && value < scale.max;
    const halfChoice = value === undefined ? null : up ? value + 0.5 : value - 0.5;
    const canHalf = half && halfChoice !== null && values.some((v) => same(halfChoice, v));
    const halfText = value === undefined || up ? "+½" : "−½";
    return (
      <div className="stars-touch-row">
        <div role="radiogroup" aria-label={label} className="stars stars-touch" ref={group} onKeyDown={onKeyDown}>
          {radios}
          {stars.map((star) => {
            const fill = shown === undefined ? 0 : Math.max(0, Math.min(1, shown - (star - 1)));
            return (
              <span
                key={star}
                aria-hidden="true"
                className={`touch-star ${fillClass(fill)}`}
                data-fill={fill}
                title={starsLabel(star)}
                onClick={() => commit(star)}
              >
                <span className="star-glyph">★</span>
                <span className="star-glyph star-on">★</span>
              </span>
            );
          })}
        </div>
        {half ? (
          <button
            type="button"
            className="half-button"
            disabled={!canHalf}
            onClick={() => canHalf && halfChoice !== null && commit(halfChoice)}
            aria-label={canHalf && halfChoice !== null ? `${halfText} star: make it ${starsLabel(halfChoice)}` : `${halfText} star (tap a star first)`}
          >
            {halfText}
          </button>
        ) : null}
      </div>
    );
  }

  return (
    <div
      role="radiogroup"
      aria-label={label}
      ref={group}
      className={preview === null && hover === null ? "stars" : "stars previewing"}
      onKeyDown={onKeyDown}
      onPointerLeave={() => setHover(null)}
      onBlur={(event) => {
        // Leaving the group with a preview pending commits it at once (as the pause would).
        if (preview !== null && !event.currentTarget.contains(event.relatedTarget as Node | null)) commit(preview);
      }}
    >
      {values.map((v, i) => {
        const from = v - scale.step; // this radio covers the star axis from..v
        const filled = shown !== undefined && shown !== null && v <= shown + EPS;
        const slice = !half ? "slice-whole" : from - Math.floor(from + EPS) > EPS ? "slice-right" : "slice-left";
        return (
          <label
            key={v}
            className={`star-slot ${slice}${filled ? " filled" : ""}`}
            title={starsLabel(v)}
            onPointerEnter={() => setHover(v)}
          >
            {radios[i]}
            <span aria-hidden="true" className="star-glyph">
              ★
            </span>
          </label>
        );
      })}
    </div>
  );
}
