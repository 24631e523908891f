import { starGlyphs, starsLabel } from "../format";
import type { Because as BecauseItem } from "../types";

/** "Because you rated Fight Club ★★★★★ and Heat ★★★★": the ratings that placed this movie. */
export function Because({ because }: { because: BecauseItem[] | undefined }) {
  if (!because || because.length === 0) return null;
  return (
    <p className="because">
      Because you rated{" "}
      {because.map((b, i) => (
        <span key={b.movie_id}>
          {i > 0 ? " and " : null}
          <span className="because-title">{b.title}</span>{" "}
          <span className="because-stars" role="img" aria-label={starsLabel(b.rating)}>
            {starGlyphs(b.rating)}
          </span>
        </span>
      ))}
    </p>
  );
}
