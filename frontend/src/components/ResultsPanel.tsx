import { type ReactNode, useState } from "react";
import type { RecommendationsState } from "../hooks/useRecommendations";
import type { RatingScale } from "../types";
import { RecList } from "./RecList";
import { RetryNotice } from "./RetryNotice";
import { StatusMessage } from "./StatusMessage";

export const RESULTS_ID = "results";

interface ResultsPanelProps {
  state: RecommendationsState;
  ratedCount: number;
  scale: RatingScale;
  ratingOf: ReadonlyMap<number, number>;
  onRate: (movieId: number, rating: number | null) => void;
  onRetry: () => void;
  /** The progress hint, shown under the heading. */
  progress: ReactNode;
  /** The taste map, under the lists. */
  map: ReactNode;
  /** Room for both lists side by side; on a phone one shows at a time, with a switch. */
  wide: boolean;
}

/** Whether there are lists to show: an answer computed from ratings, while there are ratings. */
export function hasLists(state: RecommendationsState, ratedCount: number): boolean {
  return ratedCount > 0 && state.data !== null && state.dataRatings > 0;
}

/**
 * The top and bottom ten, side by side where there is room, which appear
 * after the first rating and follow every change. The polite live region
 * speaks once per answer (one answer per committed rating).
 */
export function ResultsPanel({ state, ratedCount, scale, ratingOf, onRate, onRetry, progress, map, wide }: ResultsPanelProps) {
  const [which, setWhich] = useState<"top" | "bottom">("top");
  const { status, data, error, seq, slow } = state;
  const lists = hasLists(state, ratedCount) ? data : null;
  const busy = status === "loading";
  // The alternating mark makes an identical text count as new.
  const announcement =
    lists && lists.top.length > 0
      ? `Recommendations updated from your ${ratedCount} ${ratedCount === 1 ? "rating" : "ratings"}. ` +
        `Top pick: ${lists.top[0].title}.${seq % 2 ? "" : "\u200b"}`
      : "";
  return (
    <section id={RESULTS_ID} tabIndex={-1} className="panel results-panel" aria-labelledby="results-heading">
      <h2 id="results-heading">Your recommendations</h2>
      <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {announcement}
      </div>
      {progress}
      {ratedCount === 0 ? <p className="empty">Rate a movie you have seen, and your lists appear here.</p> : null}
      {status === "error" && error ? <RetryNotice message={error.message} retryAt={state.retryAt} onRetry={onRetry} /> : null}
      {ratedCount > 0 && !lists && status === "loading" ? (
        <StatusMessage kind="loading">{slow ? "Still finding your movies: this is taking longer than usual…" : "Finding your movies…"}</StatusMessage>
      ) : null}
      {lists && busy && slow ? (
        <p className="slow" data-testid="slow">
          Updating your lists: this is taking longer than usual…
        </p>
      ) : null}
      {lists ? (
        <div className="results" data-testid="results" data-state={status} data-seq={seq} data-ratings={state.dataRatings} aria-busy={busy}>
          {wide ? null : (
            <div className="list-switch" role="group" aria-label="Show">
              <button type="button" aria-pressed={which === "top"} onClick={() => setWhich("top")}>
                Will love
              </button>
              <button type="button" aria-pressed={which === "bottom"} onClick={() => setWhich("bottom")}>
                Will not like
              </button>
            </div>
          )}
          <div className="lists">
            <div hidden={!wide && which !== "top"}>
              <RecList id="top" title="You will probably love" recommendations={lists.top} scale={scale} ratingOf={ratingOf} onRate={onRate} />
            </div>
            <div hidden={!wide && which !== "bottom"}>
              <RecList id="bottom" title="You will probably not like" recommendations={lists.bottom} scale={scale} ratingOf={ratingOf} onRate={onRate} />
            </div>
          </div>
          {map}
        </div>
      ) : null}
    </section>
  );
}
