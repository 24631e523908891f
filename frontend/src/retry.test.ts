import { describe, expect, it } from "vitest";
import { ApiError } from "./api";
import { MAX_RETRY_S, retryDelay } from "./retry";

describe("retryDelay", () => {
  it("waits a 503's Retry-After, 5 s without one", () => {
    expect(retryDelay(new ApiError(503, "model_unavailable", "x", 7), 1)).toBe(7);
    expect(retryDelay(new ApiError(503, "model_unavailable", "x", null), 3)).toBe(5);
  });

  it("backs off 2, 4, 8 s up to the cap for a 5xx or no connection", () => {
    const down = new ApiError(0, "network", "x");
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(down, n))).toEqual([2, 4, 8, 16, MAX_RETRY_S, MAX_RETRY_S]);
    expect(retryDelay(new ApiError(502, "unavailable", "x"), 1)).toBe(2);
  });

  it("never retries a request the function refused as wrong", () => {
    expect(retryDelay(new ApiError(400, "unknown_movie", "x"), 1)).toBeNull();
    expect(retryDelay(new Error("boom"), 1)).toBeNull();
  });
});
