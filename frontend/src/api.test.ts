import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, fetchMovies, fetchRecommendations } from "./api";
import { jsonResponse, recommendResponse } from "./test/fixtures";

afterEach(() => vi.unstubAllGlobals());

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("api", () => {
  it("posts ratings as the contract's list of movie_id and rating", async () => {
    const fetch = vi.fn().mockResolvedValue(jsonResponse(recommendResponse()));
    vi.stubGlobal("fetch", fetch);
    await fetchRecommendations({ 12: 4.5, 7: 1 });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("/api/recommend");
    expect(init.method).toBe("POST");
    expect(JSON.parse(init.body)).toEqual({ ratings: [{ movie_id: 7, rating: 1 }, { movie_id: 12, rating: 4.5 }] });
  });

  it("passes the server's error message on", async () => {
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(
      jsonResponse({ error: { code: "unknown_movie", message: "movie_id 5 is not in the catalog" } }, 400)));
    const error = await failure(fetchRecommendations({ 5: 3 }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("unknown_movie");
    expect(error.message).toBe("movie_id 5 is not in the catalog");
  });

  it("says when to retry on 503", async () => {
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(
      jsonResponse({ error: { code: "model_unavailable", message: "model is loading" } }, 503, { "Retry-After": "7" })));
    const error = await failure(fetchMovies());
    expect(error.retryAfter).toBe(7);
    expect(error.message).toMatch(/Try again in 7 s/);
  });

  it("explains a non-JSON answer as the service not answering", async () => {
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(new Response("Bad Gateway", { status: 502 })));
    const error = await failure(fetchMovies());
    expect(error.message).toMatch(/not answering \(HTTP 502\)/);
  });

  it("explains a network failure", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    const error = await failure(fetchMovies());
    expect(error.code).toBe("network");
    expect(error.message).toMatch(/Could not reach/);
  });
});
