import { useCallback, useEffect, useState } from "react";
import { ApiError, fetchRecommendations, isAbort } from "../api";
import { retryDelay } from "../retry";
import type { Answers, RecommendResponse } from "../types";

/** An update that takes longer than this says so in words. */
export const SLOW_MS = 1000;

export interface RecommendationsState {
  status: "loading" | "ready" | "error";
  /** Last good answer; kept on screen while a newer one is loading. */
  data: RecommendResponse | null;
  /** How many ratings `data` was computed from (0: it only carries the first movies to ask). */
  dataRatings: number;
  error: ApiError | null;
  /** When the site asks again by itself (epoch ms), or null when it will not. */
  retryAt: number | null;
  /** The request in flight has taken longer than SLOW_MS. */
  slow: boolean;
  /** Increments with every answer rendered (used by tests and the benchmark). */
  seq: number;
}

/**
 * Recommendations for the person's answers, asked for at once on every change
 * (and on first load, so stored ratings bring their lists back after a reload).
 * A newer request aborts the one in flight; there is no debounce to wait out.
 *
 * With no ratings a function older than the contract answers 400: that is not
 * an error for the visitor, just no answer yet. A failure that a retry can cure
 * (503, 5xx, no connection) is retried by itself at `retryAt`, which the page
 * counts down; `retry` asks again now.
 */
export function useRecommendations(answers: Answers): { state: RecommendationsState; retry: () => void } {
  const [state, setState] = useState<RecommendationsState>({
    status: "loading", data: null, dataRatings: 0, error: null, retryAt: null, slow: false, seq: 0,
  });
  const [attempt, setAttempt] = useState(0);
  const [failures, setFailures] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    const rated = answers.ratings.length;
    setState((s) =>
      s.status === "loading" && s.retryAt === null && !s.slow ? s : { ...s, status: "loading", retryAt: null, slow: false },
    );
    const slowTimer = setTimeout(() => setState((s) => (s.status === "loading" ? { ...s, slow: true } : s)), SLOW_MS);
    fetchRecommendations(answers, controller.signal)
      .then((data) => {
        if (controller.signal.aborted) return;
        setFailures(0);
        setState((s) => ({ status: "ready", data, dataRatings: rated, error: null, retryAt: null, slow: false, seq: s.seq + 1 }));
      })
      .catch((error: unknown) => {
        if (isAbort(error) || controller.signal.aborted) return;
        if (rated === 0 && error instanceof ApiError && error.status === 400) {
          setState((s) => ({ status: "ready", data: null, dataRatings: 0, error: null, retryAt: null, slow: false, seq: s.seq + 1 }));
          return;
        }
        const apiError =
          error instanceof ApiError ? error : new ApiError(0, "unexpected", "Something went wrong. Please try again.");
        const wait = retryDelay(apiError, failures + 1);
        setState((s) => ({ ...s, status: "error", error: apiError, slow: false, retryAt: wait === null ? null : Date.now() + wait * 1000 }));
        if (wait !== null) {
          retryTimer = setTimeout(() => {
            setFailures((n) => n + 1);
            setAttempt((n) => n + 1);
          }, wait * 1000);
        }
      })
      .finally(() => clearTimeout(slowTimer));
    return () => {
      controller.abort();
      clearTimeout(retryTimer);
      clearTimeout(slowTimer);
    };
    // `failures` is read, not watched: a retry is started by `attempt`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [answers, attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { state, retry };
}
