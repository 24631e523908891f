import { describe, expect, it } from "vitest";
import { LEGACY_STORAGE_KEY, STORAGE_KEY, loadAnswers, saveAnswers } from "./storage";

describe("storage", () => {
  it("round-trips ratings in their order and the skipped movies", () => {
    saveAnswers({ ratings: [{ movie_id: 10, rating: 1 }, { movie_id: 3, rating: 4.5 }], skipped: [7] });
    expect(loadAnswers()).toEqual({ ratings: [{ movie_id: 10, rating: 1 }, { movie_id: 3, rating: 4.5 }], skipped: [7] });
  });

  it("starts empty when stored data is corrupt", () => {
    window.localStorage.setItem(STORAGE_KEY, "{not json");
    expect(loadAnswers()).toEqual({ ratings: [], skipped: [] });
  });

  it("drops malformed entries, repeated movies, and skipped movies that are also rated", () => {
    window.localStorage.setItem(
      STORAGE_KEY,
      JSON.stringify({
        ratings: [{ movie_id: 3, rating: 4 }, { movie_id: "x", rating: 2 }, { movie_id: 4, rating: "5" }, { movie_id: 3, rating: 1 }],
        skipped: [3, 8, "9", 8],
      }),
    );
    expect(loadAnswers()).toEqual({ ratings: [{ movie_id: 3, rating: 4 }], skipped: [8] });
  });

  it("reads the first site's ratings and replaces them on the next save", () => {
    window.localStorage.setItem(LEGACY_STORAGE_KEY, JSON.stringify({ 3: 4.5, 10: 1, x: 2 }));
    const answers = loadAnswers();
    expect(answers).toEqual({ ratings: [{ movie_id: 3, rating: 4.5 }, { movie_id: 10, rating: 1 }], skipped: [] });
    saveAnswers(answers);
    expect(window.localStorage.getItem(LEGACY_STORAGE_KEY)).toBeNull();
    expect(loadAnswers()).toEqual(answers);
  });
});
