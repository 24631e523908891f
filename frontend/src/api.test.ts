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
  it("posts ratings and skipped movies as the contract's lists", async () => {
    const fetch = vi.fn().mockResolvedValue(jsonResponse(recommendResponse()));
    vi.stubGlobal("fetch", fetch);
    await fetchRecommendations({ ratings: [{ movie_id: 12, rating: 4.5 }, { movie_id: 7, rating: 1 }], skipped: [3] });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("/api/recommend");
    expect(init.method).toBe("POST");
    expect(JSON.parse(init.body)).toEqual({
      ratings: [{ movie_id: 12, rating: 4.5 }, { movie_id: 7, rating: 1 }],
      skipped: [3],
    });
  });

  it("posts an empty ratings list (a first visit asks which movies to rate)", async () => {
    const fetch = vi.fn().mockResolvedValue(jsonResponse(recommendResponse()));
    vi.stubGlobal("fetch", fetch);
    await fetchRecommendations({ ratings: [], skipped: [] });
    expect(JSON.parse(fetch.mock.calls[0][1].body)).toEqual({ ratings: [], skipped: [] });
  });

  it("passes the server's error message on", async () => {
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(
      jsonResponse({ error: { code: "unknown_movie", message: "movie_id 5 is not in the catalog" } }, 400)));
    const error = await failure(fetchRecommendations({ ratings: [{ movie_id: 5, rating: 3 }], skipped: [] }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("unknown_movie");
    expect(error.message).toBe("movie_id 5 is not in the catalog");
  });

  it("says when to retry on 503", async () => {
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(
      jsonResponse({ error: { code: "model_unavailable", message: "model is loading" } }, 503, { "Retry-After": "7" })));
    const error = await failure(fetchMovies());
    expect(error.retryAfter).toBe(7);
    expect(error.message).toBe("The recommender is starting up."); // the page counts down to its own retry
  });

  it("explains a non-JSON answer to a visitor, without developer instructions", async () => {
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(new Response("Bad Gateway", { status: 502 })));
    const error = await failure(fetchMovies());
    expect(error.message).toBe("Recommendations are not available right now.");
  });

  it("does not pass an internal error's text on to the visitor", async () => {
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(
      jsonResponse({ error: { code: "internal", message: "internal error; it has been logged" } }, 500)));
    const error = await failure(fetchMovies());
    expect(error.code).toBe("internal");
    expect(error.message).toBe("Recommendations are not available right now.");
  });

  it("explains a network failure", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    const error = await failure(fetchMovies());
    expect(error.code).toBe("network");
    expect(error.message).toMatch(/could not reach Screen Genius/);
  });
});
