import { useCallback, useEffect, useState } from "react";
import { fetchMovies, isAbort } from "../api";
import { retryDelay } from "../retry";
import type { Movie, RatingScale } from "../types";

export type CatalogState =
  | { status: "loading" }
  | { status: "error"; message: string; /** epoch ms of the next try by itself, or null */ retryAt: number | null }
  | { status: "ready"; movies: Movie[]; scale: RatingScale; modelVersion: string };

/**
 * Loads the catalog once. A failure a retry can cure (503, 5xx, no
 * connection) is retried by itself at `retryAt`; `retry` loads it again now.
 */
export function useCatalog(): { catalog: CatalogState; retry: () => void } {
  const [catalog, setCatalog] = useState<CatalogState>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    setCatalog((c) => (c.status === "error" ? { ...c, retryAt: null } : { status: "loading" }));
    fetchMovies(controller.signal)
      .then((body) =>
        setCatalog({
          status: "ready",
          movies: body.movies,
          scale: body.rating_scale,
          modelVersion: body.model_version,
        }),
      )
      .catch((error: unknown) => {
        if (isAbort(error)) return;
        const wait = retryDelay(error, attempt + 1);
        setCatalog({
          status: "error",
          message: error instanceof Error ? error.message : String(error),
          retryAt: wait === null ? null : Date.now() + wait * 1000,
        });
        if (wait !== null) retryTimer = setTimeout(() => setAttempt((n) => n + 1), wait * 1000);
      });
    return () => {
      controller.abort();
      clearTimeout(retryTimer);
    };
  }, [attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { catalog, retry };
}
