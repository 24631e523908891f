import type { RecommendationsState } from "../hooks/useRecommendations";
import type { RatingScale } from "../types";
import { RecList } from "./RecList";
import { StatusMessage } from "./StatusMessage";

export const RESULTS_ID = "results";

interface ResultsPanelProps {
  state: RecommendationsState;
  ratedCount: number;
  scale: RatingScale;
  ratingOf: ReadonlyMap<number, number>;
  onRate: (movieId: number, rating: number | null) => void;
  onRetry: () => void;
}

/** Whether there are lists to show: an answer computed from ratings, while there are ratings. */
export function hasLists(state: RecommendationsState, ratedCount: number): boolean {
  return ratedCount > 0 && state.data !== null && state.dataRatings > 0;
}

/** The top and bottom ten, which appear after the first rating and follow every change. */
export function ResultsPanel({ state, ratedCount, scale, ratingOf, onRate, onRetry }: ResultsPanelProps) {
  const { status, data, error, seq } = state;
  const lists = hasLists(state, ratedCount) ? data : null;
  const busy = status === "loading";
  // Announced politely after every answer; the alternating mark makes an identical text count as new.
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
      {ratedCount === 0 ? (
        <p className="empty">Rate a movie you have seen, and your lists appear here.</p>
      ) : null}
      {status === "error" && error ? (
        <StatusMessage
          kind="error"
          action={
            <button type="button" onClick={onRetry}>
              Try again
            </button>
          }
        >
          {error.message}
        </StatusMessage>
      ) : null}
      {ratedCount > 0 && !lists && status === "loading" ? (
        <StatusMessage kind="loading">Finding your movies…</StatusMessage>
      ) : null}
      {lists ? (
        <div className="results" data-testid="results" data-state={status} data-seq={seq} data-ratings={state.dataRatings} aria-busy={busy}>
          <p className="hint">
            From {lists.used_ratings} of your ratings · model {lists.model_version}
          </p>
          <RecList id="top" title="You will probably love" recommendations={lists.top} scale={scale} ratingOf={ratingOf} onRate={onRate} />
          <RecList id="bottom" title="You will probably not like" recommendations={lists.bottom} scale={scale} ratingOf={ratingOf} onRate={onRate} />
        </div>
      ) : null}
    </section>
  );
}
