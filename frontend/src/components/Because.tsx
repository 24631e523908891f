import { starsLabel } from "../format";
import type { Because as BecauseItem } from "../types";

/** "liked" / "disliked" from the contract; a function that does not send it yet: "rated". */
function verb(b: BecauseItem): string {
  return b.direction === "liked" ? "liked" : b.direction === "disliked" ? "disliked" : "rated";
}

/**
 * "Because you liked Fight Club (5 stars) and disliked Heat (1½ stars)": the
 * person's ratings that placed this movie, in words (no star glyphs to decode).
 */
export function Because({ because }: { because: BecauseItem[] | undefined }) {
  if (!because || because.length === 0) return null;
  return (
    <p className="because">
      Because you{" "}
      {because.map((b, i) => (
        <span key={b.movie_id}>
          {i > 0 ? " and " : null}
          {i === 0 || verb(b) !== verb(because[i - 1]) ? `${verb(b)} ` : null}
          <span className="because-title">{b.title}</span> ({starsLabel(b.rating)})
        </span>
      ))}
    </p>
  );
}
