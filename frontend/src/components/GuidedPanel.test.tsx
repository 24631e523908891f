import { describe, expect, it } from "vitest";
import { asks } from "../test/fixtures";
import { reconcileSlots } from "./GuidedPanel";

const ids = (slots: { movie_id: number }[]) => slots.map((m) => m.movie_id);
const never = () => false;

describe("reconcileSlots", () => {
  it("fills empty slots with the first movies asked for", () => {
    expect(ids(reconcileSlots([], asks([1, 2, 3, 4]), never, 3))).toEqual([1, 2, 3]);
  });

  it("keeps movies still asked for in their slots and gives a freed slot the next one", () => {
    const prev = asks([1, 2, 3]);
    expect(ids(reconcileSlots(prev, asks([3, 1, 5, 6]), never, 3))).toEqual([1, 5, 3]);
  });

  it("keeps a pinned slot's movie even though it is no longer asked for", () => {
    const prev = asks([1, 2, 3]);
    const pinned = (slot: number) => slot === 1;
    expect(ids(reconcileSlots(prev, asks([1, 3, 7]), pinned, 3))).toEqual([1, 2, 3]);
  });

  it("returns the same array when nothing changes, so nothing re-renders", () => {
    const prev = asks([1, 2]);
    expect(reconcileSlots(prev, asks([2, 1]), never, 2)).toBe(prev);
  });

  it("closes up when there is nothing left to ask", () => {
    expect(ids(reconcileSlots(asks([1, 2, 3]), asks([3]), never, 3))).toEqual([3]);
  });
});
