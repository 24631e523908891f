import { useCallback, useEffect, useState } from "react";
import { fetchMovies, isAbort } from "../api";
import type { Movie, RatingScale } from "../types";

export type CatalogState =
  | { status: "loading" }
  | { status: "error"; message: string }
  | { status: "ready"; movies: Movie[]; scale: RatingScale; modelVersion: string };

/** Loads the catalog once; `retry` loads it again after an error. */
export function useCatalog(): { catalog: CatalogState; retry: () => void } {
  const [catalog, setCatalog] = useState<CatalogState>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setCatalog({ status: "loading" });
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
        setCatalog({ status: "error", message: error instanceof Error ? error.message : String(error) });
      });
    return () => controller.abort();
  }, [attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { catalog, retry };
}
