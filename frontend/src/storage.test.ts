import { describe, expect, it } from "vitest";
import { STORAGE_KEY, loadRatings, saveRatings } from "./storage";

describe("storage", () => {
  it("round-trips ratings", () => {
    saveRatings({ 3: 4.5, 10: 1 });
    expect(loadRatings()).toEqual({ 3: 4.5, 10: 1 });
  });

  it("starts empty when stored data is corrupt", () => {
    window.localStorage.setItem(STORAGE_KEY, "{not json");
    expect(loadRatings()).toEqual({});
  });

  it("drops entries that are not movie id -> number", () => {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify({ 3: 4, x: 2, 4: "5" }));
    expect(loadRatings()).toEqual({ 3: 4 });
  });
});
