import { useId, useState } from "react";
import { scaleValues, starsLabel } from "../format";
import { useCoarsePointer } from "../hooks/useCoarsePointer";
import type { RatingScale } from "../types";

interface StarRatingProps {
  scale: RatingScale;
  value: number | undefined;
  onChange: (value: number) => void;
  /** Accessible name of the group, e.g. "Your rating for Heat (1995)". */
  label: string;
}

const EPS = 1e-9;

/**
 * Stars on the dataset's scale: one native radio per allowed value (half
 * stars when the step is 0.5), so arrow keys and screen readers work as for
 * any radio group.
 *
 * With a mouse each radio is drawn as the slice of a star it stands for, at
 * least 24 px wide, and hovering previews every star up to the pointer. On a
 * touch screen ten half-star slices would be too small to hit, so each whole
 * star is one 44 px target: a tap gives the whole star, a second tap on the
 * same star takes off half.
 */
export function StarRating({ scale, value, onChange, label }: StarRatingProps) {
  const name = useId();
  const coarse = useCoarsePointer();
  const [hover, setHover] = useState<number | null>(null);
  const values = scaleValues(scale);
  const shown = hover ?? value;
  const isChecked = (v: number) => value !== undefined && Math.abs(value - v) < EPS;

  if (coarse) {
    const stars = Array.from({ length: Math.round(scale.max) }, (_, i) => i + 1);
    const tap = (star: number) => {
      const choices = values.filter((v) => v > star - 1 + EPS && v <= star + EPS); // this star's values, low to high
      if (choices.length === 0) return;
      const at = choices.findIndex(isChecked);
      // First tap: the whole star; each further tap: the next lower value on the same star, then around.
      onChange(at <= 0 ? choices[choices.length - 1] : choices[at - 1]);
    };
    return (
      <div role="radiogroup" aria-label={label} className="stars stars-touch">
        {values.map((v) => (
          <input
            key={v}
            type="radio"
            className="visually-hidden"
            name={name}
            value={v}
            checked={isChecked(v)}
            onChange={() => onChange(v)}
            aria-label={starsLabel(v)}
          />
        ))}
        {stars.map((star) => {
          const fill = value === undefined ? 0 : Math.max(0, Math.min(1, value - (star - 1)));
          return (
            <span
              key={star}
              aria-hidden="true"
              className="touch-star"
              data-fill={fill}
              title={starsLabel(star)}
              onClick={() => tap(star)}
            >
              <span className="star-glyph">★</span>
              <span className="star-glyph star-on" style={{ clipPath: `inset(0 ${(1 - fill) * 100}% 0 0)` }}>
                ★
              </span>
            </span>
          );
        })}
      </div>
    );
  }

  return (
    <div
      role="radiogroup"
      aria-label={label}
      className={hover === null ? "stars" : "stars previewing"}
      onPointerLeave={() => setHover(null)}
    >
      {values.map((v) => {
        const from = v - scale.step; // this radio covers the star axis from..v
        const filled = shown !== undefined && v <= shown + EPS;
        return (
          <label
            key={v}
            className={filled ? "star-slot filled" : "star-slot"}
            style={{ width: `${scale.step * 1.5}em` }}
            title={starsLabel(v)}
            onPointerEnter={() => setHover(v)}
          >
            <input
              type="radio"
              className="visually-hidden"
              name={name}
              value={v}
              checked={isChecked(v)}
              onChange={() => onChange(v)}
              aria-label={starsLabel(v)}
            />
            <span aria-hidden="true" className="star-glyph" style={{ left: `${-(from - Math.floor(from + EPS)) * 1.5}em` }}>
              ★
            </span>
          </label>
        );
      })}
    </div>
  );
}
