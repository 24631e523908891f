import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});

// jsdom lays nothing out, so it has no scrollIntoView; the browser tests check scrolling.
Element.prototype.scrollIntoView = function scrollIntoView() {};

// A desktop screen unless a test says otherwise (jsdom has no matchMedia): wide, with a mouse.
window.matchMedia = ((query: string) => ({
  matches: /min-width/.test(query),
  media: query,
  addEventListener: () => {},
  removeEventListener: () => {},
})) as unknown as typeof window.matchMedia;
