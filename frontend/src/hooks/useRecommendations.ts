import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, fetchRecommendations, isAbort } from "../api";
import type { Ratings, RecommendResponse } from "../types";

/** Wait this long after the last rating change before asking again. */
export const REFRESH_DEBOUNCE_MS = 300;

export interface RecommendationsState {
  /** idle: never asked; empty: asked, but nothing is rated now. */
  status: "idle" | "loading" | "ready" | "error" | "empty";
  /** Last good answer; kept on screen while a refresh is loading. */
  data: RecommendResponse | null;
  error: ApiError | null;
  /** Increments with every answer rendered (used by tests and the benchmark). */
  seq: number;
}

/**
 * Recommendations for `ratings`. Nothing is requested until `request()` is
 * called (the button); after that, every change of ratings refreshes them,
 * debounced, and a newer request cancels the one in flight.
 */
export function useRecommendations(ratings: Ratings): {
  state: RecommendationsState;
  request: () => void;
} {
  const [state, setState] = useState<RecommendationsState>({ status: "idle", data: null, error: null, seq: 0 });
  const [active, setActive] = useState(false);
  const inFlight = useRef<AbortController | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const ratingsRef = useRef(ratings);
  ratingsRef.current = ratings;

  const cancel = useCallback(() => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
    inFlight.current?.abort();
    inFlight.current = null;
  }, []);

  const send = useCallback(() => {
    cancel();
    const current = ratingsRef.current;
    if (Object.keys(current).length === 0) {
      setState((s) => ({ ...s, status: "empty", error: null }));
      return;
    }
    const controller = new AbortController();
    inFlight.current = controller;
    setState((s) => ({ ...s, status: "loading", error: null }));
    fetchRecommendations(current, controller.signal)
      .then((data) => {
        if (controller.signal.aborted) return;
        setState((s) => ({ status: "ready", data, error: null, seq: s.seq + 1 }));
      })
      .catch((error: unknown) => {
        if (isAbort(error) || controller.signal.aborted) return;
        const apiError =
          error instanceof ApiError ? error : new ApiError(0, "unexpected", "Something went wrong. Try again.");
        setState((s) => ({ ...s, status: "error", error: apiError }));
      })
      .finally(() => {
        if (inFlight.current === controller) inFlight.current = null;
      });
  }, [cancel]);

  const request = useCallback(() => {
    setActive(true);
    send();
  }, [send]);

  // Refresh on every change of ratings once results have been asked for.
  const firstRun = useRef(true);
  useEffect(() => {
    if (firstRun.current) {
      firstRun.current = false;
      return;
    }
    if (!active) return;
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = setTimeout(send, REFRESH_DEBOUNCE_MS);
  }, [ratings]);

  useEffect(() => cancel, [cancel]);

  return { state, request };
}
