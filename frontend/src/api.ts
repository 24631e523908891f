/**
 * The one place the website talks to the function. Same-origin `/api`:
 * Firebase Hosting rewrites it to the function in production, Vite's proxy
 * does in dev and preview.
 */
import type { MoviesResponse, Ratings, RecommendResponse } from "./types";

const API_BASE = "/api";

/** A failed call, with a message a person can act on. */
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
      "Could not reach the recommendation service. Check your connection and try again.",
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
    if (status === 503) {
      const wait = retryAfter !== null ? ` Try again in ${retryAfter} s.` : " Try again shortly.";
      return new ApiError(status, code, `The model is not ready: ${detail.message}.${wait}`, retryAfter);
    }
    return new ApiError(status, code, detail.message, retryAfter);
  }
  // No JSON error: the function is not there (proxy or hosting answered).
  return new ApiError(
    status,
    "unavailable",
    `The recommendation service is not answering (HTTP ${status}). Make sure it is running, then try again.`,
    retryAfter,
  );
}

export function fetchMovies(signal?: AbortSignal): Promise<MoviesResponse> {
  return call<MoviesResponse>("/movies", { method: "GET", signal });
}

export function fetchRecommendations(ratings: Ratings, signal?: AbortSignal): Promise<RecommendResponse> {
  const body = {
    ratings: Object.entries(ratings).map(([movieId, rating]) => ({ movie_id: Number(movieId), rating })),
  };
  return call<RecommendResponse>("/recommend", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

export { isAbort };
