/**
 * The one place the website talks to the function. Same-origin `/api`:
 * Firebase Hosting rewrites it to the function in production, Vite's proxy
 * does in dev and preview.
 */
import type { Answers, MoviesResponse, RecommendResponse } from "./types";

const API_BASE = "/api";

/** A failed call, with a message written for a visitor (never "make sure it is running"). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds to wait before retrying, from a 503's Retry-After. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

async function call<T>(path: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(API_BASE + path, init);
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(
      0,
      "network",
      "We could not reach Screen Genius. Check your internet connection.",
    );
  }
  const body: unknown = await response.json().catch(() => null);
  if (response.ok && body !== null) return body as T;
  throw errorFrom(response, body);
}

function errorFrom(response: Response, body: unknown): ApiError {
  const status = response.status;
  const retryHeader = response.headers.get("Retry-After");
  const retryAfter = retryHeader !== null && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  const detail = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (detail && typeof detail.message === "string") {
    const code = typeof detail.code === "string" ? detail.code : String(status);
    // How long until the next try is the page's to say (it counts down to the retry it makes).
    if (status === 503) return new ApiError(status, code, "The recommender is starting up.", retryAfter);
    if (status >= 500) return new ApiError(status, code, SERVICE_DOWN, retryAfter);
    return new ApiError(status, code, detail.message, retryAfter);
  }
  // No JSON error: the function itself did not answer (the proxy or hosting did).
  return new ApiError(status, "unavailable", SERVICE_DOWN, retryAfter);
}

const SERVICE_DOWN = "Recommendations are not available right now.";

export function fetchMovies(signal?: AbortSignal): Promise<MoviesResponse> {
  return call<MoviesResponse>("/movies", { method: "GET", signal });
}

/** POST /api/recommend with the person's ratings and the movies they have not seen. */
export function fetchRecommendations(answers: Answers, signal?: AbortSignal): Promise<RecommendResponse> {
  return call<RecommendResponse>("/recommend", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ratings: answers.ratings, skipped: answers.skipped }),
    signal,
  });
}

export { isAbort };
