import type { RecommendationsState } from "../hooks/useRecommendations";
import { RecList } from "./RecList";
import { StatusMessage } from "./StatusMessage";

interface RecommendPanelProps {
  state: RecommendationsState;
  ratedCount: number;
  onRequest: () => void;
}

/** The button, the request's state, and the top and bottom ten. */
export function RecommendPanel({ state, ratedCount, onRequest }: RecommendPanelProps) {
  const { status, data, error } = state;
  const busy = status === "loading";
  return (
    <section className="panel" aria-labelledby="recs-heading">
      <h2 id="recs-heading">Recommendations</h2>
      <button type="button" className="primary" onClick={onRequest} disabled={ratedCount === 0} aria-describedby="recs-hint">
        Get recommendations
      </button>
      <p id="recs-hint" className="hint">
        {ratedCount === 0
          ? "Rate at least one movie to get recommendations."
          : "More ratings give better recommendations; once shown, they update as you rate."}
      </p>
      {busy ? <StatusMessage kind="loading">{data ? "Updating your recommendations…" : "Finding your movies…"}</StatusMessage> : null}
      {status === "error" && error ? (
        <StatusMessage
          kind="error"
          action={
            <button type="button" onClick={onRequest}>
              Try again
            </button>
          }
        >
          {error.message}
        </StatusMessage>
      ) : null}
      {status === "empty" ? (
        <StatusMessage kind="info">No ratings left. Rate a few movies to see recommendations again.</StatusMessage>
      ) : null}
      {data && status !== "empty" ? (
        <div className="results" data-testid="results" data-state={status} data-seq={state.seq} aria-busy={busy}>
          <p className="hint">
            Based on {data.used_ratings} of your ratings · model {data.model_version}
          </p>
          <div className="rec-columns">
            <RecList id="top" title="You will probably love" recommendations={data.top} />
            <RecList id="bottom" title="You will probably not like" recommendations={data.bottom} />
          </div>
        </div>
      ) : null}
    </section>
  );
}
