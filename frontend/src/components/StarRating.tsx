import { useId } from "react";
import { scaleValues, starsLabel } from "../format";
import type { RatingScale } from "../types";

interface StarRatingProps {
  scale: RatingScale;
  value: number | undefined;
  onChange: (value: number) => void;
  /** Accessible name of the group, e.g. "Your rating for Heat (1995)". */
  label: string;
}

/**
 * Stars on the dataset's scale: one native radio per allowed value (half
 * stars when the step is 0.5), so arrow keys and screen readers work as for
 * any radio group. Each radio is drawn as the slice of a star it stands for.
 */
export function StarRating({ scale, value, onChange, label }: StarRatingProps) {
  const name = useId();
  const values = scaleValues(scale);
  return (
    <div role="radiogroup" aria-label={label} className="stars">
      {values.map((v) => {
        const from = v - scale.step; // this radio covers the star axis from..v
        const filled = value !== undefined && v <= value + 1e-9;
        return (
          <label
            key={v}
            className={filled ? "star-slot filled" : "star-slot"}
            style={{ width: `${scale.step * 1.4}em` }}
            title={starsLabel(v)}
          >
            <input
              type="radio"
              className="visually-hidden"
              name={name}
              value={v}
              checked={value !== undefined && Math.abs(value - v) < 1e-9}
              onChange={() => onChange(v)}
              aria-label={starsLabel(v)}
            />
            <span aria-hidden="true" className="star-glyph" style={{ left: `${-(from - Math.floor(from + 1e-9)) * 1.4}em` }}>
              ★
            </span>
          </label>
        );
      })}
    </div>
  );
}
