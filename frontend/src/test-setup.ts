import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});

// jsdom lays nothing out, so it has no scrollIntoView; the browser tests check scrolling.
Element.prototype.scrollIntoView = function scrollIntoView() {};
