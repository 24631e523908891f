/** When a failed call is worth repeating by itself, and after how long. */
import { ApiError } from "./api";

/** Longest wait between automatic retries, seconds. */
export const MAX_RETRY_S = 30;

/**
 * Seconds to wait before asking again by ourselves, or null when asking again
 * cannot help (the request itself is wrong: a 4xx). A 503 waits its
 * Retry-After (5 s without one); an unreachable function or a 5xx backs off
 * 2, 4, 8 … up to MAX_RETRY_S seconds over consecutive failures (`failures`
 * counts them, 1 for the first).
 */
export function retryDelay(error: unknown, failures: number): number | null {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 503) return Math.min(MAX_RETRY_S, Math.max(1, error.retryAfter ?? 5));
  if (error.status === 0 || error.status >= 500) return Math.min(MAX_RETRY_S, 2 ** Math.max(1, failures));
  return null;
}
