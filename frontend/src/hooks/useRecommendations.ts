import { useCallback, useEffect, useState } from "react";
import { ApiError, fetchRecommendations, isAbort } from "../api";
import type { Answers, RecommendResponse } from "../types";

export interface RecommendationsState {
  status: "loading" | "ready" | "error";
  /** Last good answer; kept on screen while a newer one is loading. */
  data: RecommendResponse | null;
  /** How many ratings `data` was computed from (0: it only carries the first movies to ask). */
  dataRatings: number;
  error: ApiError | null;
  /** Increments with every answer rendered (used by tests and the benchmark). */
  seq: number;
}

/**
 * Recommendations for the person's answers, asked for at once on every change
 * (and on first load, so stored ratings bring their lists back after a reload).
 * A newer request aborts the one in flight; there is no debounce to wait out.
 *
 * With no ratings a function older than the contract answers 400: that is not
 * an error for the visitor, just no answer yet. A 503 (the model is loading) is
 * retried by itself after its Retry-After.
 */
export function useRecommendations(answers: Answers): { state: RecommendationsState; retry: () => void } {
  const [state, setState] = useState<RecommendationsState>({
    status: "loading", data: null, dataRatings: 0, error: null, seq: 0,
  });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    const rated = answers.ratings.length;
    setState((s) => (s.status === "loading" && s.error === null ? s : { ...s, status: "loading", error: null }));
    fetchRecommendations(answers, controller.signal)
      .then((data) => {
        if (controller.signal.aborted) return;
        setState((s) => ({ status: "ready", data, dataRatings: rated, error: null, seq: s.seq + 1 }));
      })
      .catch((error: unknown) => {
        if (isAbort(error) || controller.signal.aborted) return;
        if (rated === 0 && error instanceof ApiError && error.status === 400) {
          setState((s) => ({ status: "ready", data: null, dataRatings: 0, error: null, seq: s.seq + 1 }));
          return;
        }
        const apiError =
          error instanceof ApiError ? error : new ApiError(0, "unexpected", "Something went wrong. Please try again.");
        setState((s) => ({ ...s, status: "error", error: apiError }));
        if (apiError.status === 503 && apiError.retryAfter !== null) {
          retryTimer = setTimeout(() => setAttempt((n) => n + 1), apiError.retryAfter * 1000);
        }
      });
    return () => {
      controller.abort();
      clearTimeout(retryTimer);
    };
  }, [answers, attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { state, retry };
}
