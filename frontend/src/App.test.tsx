import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { STORAGE_KEY } from "./storage";
import { jsonResponse, moviesResponse, recommendResponse } from "./test/fixtures";
import type { RatedMovie } from "./types";

interface Sent {
  ratings: RatedMovie[];
  skipped: number[];
}
type Handler = (body: Sent, signal: AbortSignal) => Promise<Response>;

let recommend: Handler;
const sent: Sent[] = [];

beforeEach(() => {
  sent.length = 0;
  recommend = async (body) => jsonResponse(recommendResponse({ usedRatings: body.ratings.length }));
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit) => {
      if (url === "/api/movies") return jsonResponse(moviesResponse());
      if (url === "/api/recommend") {
        const body = JSON.parse(String(init.body)) as Sent;
        sent.push(body);
        return recommend(body, init.signal as AbortSignal);
      }
      return jsonResponse({ error: { code: "not_found", message: "no route" } }, 404);
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

/** Today's function: no ask_next/genres/because, and 400 for an empty ratings list. */
function todaysFunction() {
  recommend = async (body) =>
    body.ratings.length === 0
      ? jsonResponse({ error: { code: "no_ratings", message: "rate at least one movie" } }, 400)
      : jsonResponse(recommendResponse({ contract: false, usedRatings: body.ratings.length }));
}

function stored(): { ratings: RatedMovie[]; skipped: number[] } {
  return JSON.parse(window.localStorage.getItem(STORAGE_KEY)!);
}

async function guidedCards() {
  const list = await screen.findByRole("list", { name: "Movies to rate" });
  return within(list).getAllByRole("listitem");
}

function card(title: RegExp | string): HTMLElement {
  const list = screen.getByRole("list", { name: "Movies to rate" });
  const item = within(list).getByText(title).closest("li");
  if (!item) throw new Error(`no card for ${title}`);
  return item;
}

async function rateCard(title: string, stars: string) {
  await userEvent.click(within(card(title)).getByRole("radio", { name: stars }));
}

async function search(text: string) {
  const box = screen.getByLabelText("Search movies");
  await userEvent.clear(box);
  await userEvent.type(box, text);
}

async function rateFound(title: string, stars: string) {
  await search(title);
  const list = screen.getByRole("list", { name: "Movies" });
  const row = within(list).getByText(title).closest("li")!;
  await userEvent.click(within(row).getByRole("radio", { name: stars }));
}

describe("first visit", () => {
  it("asks about the function's ask_next movies, with genres, before anything is rated", async () => {
    render(<App />);
    const cards = await guidedCards();
    expect(cards).toHaveLength(6);
    expect(cards[0]).toHaveTextContent("Ask 100");
    expect(cards[0]).toHaveTextContent("Comedy");
    expect(sent).toEqual([{ ratings: [], skipped: [] }]);
    expect(screen.queryByTestId("results")).not.toBeInTheDocument();
    expect(screen.getByText(/Rate a movie you have seen, and your lists appear here/)).toBeInTheDocument();
  });

  it("works with a function that sends no ask_next: asks in catalog order and shows no error", async () => {
    todaysFunction();
    render(<App />);
    const cards = await guidedCards();
    expect(cards[0]).toHaveTextContent("Heat");
    expect(cards[1]).toHaveTextContent("Toy Story");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    await rateCard("Heat", "4 stars");
    const top = await screen.findByTestId("top");
    expect(within(top).getAllByRole("listitem")).toHaveLength(10);
    expect(top).not.toHaveTextContent("Because you rated");
  });
});

describe("results without a button", () => {
  it("appear after the first rating and follow every change, with no button to press", async () => {
    render(<App />);
    await guidedCards();
    await rateCard("Ask 100", "5 stars");
    const top = await screen.findByTestId("top");
    expect(within(top).getAllByRole("listitem")).toHaveLength(10);
    expect(within(screen.getByTestId("bottom")).getAllByRole("listitem")).toHaveLength(10);
    expect(screen.queryByRole("button", { name: "Get recommendations" })).not.toBeInTheDocument();
    expect(sent.at(-1)).toEqual({ ratings: [{ movie_id: 100, rating: 5 }], skipped: [] });

    recommend = async (body) => jsonResponse(recommendResponse({ tag: "b", usedRatings: body.ratings.length }));
    await rateCard("Ask 101", "1 star");
    await screen.findByText("Pick b0");
    expect(sent.at(-1)!.ratings).toEqual([{ movie_id: 101, rating: 1 }, { movie_id: 100, rating: 5 }]);
  });

  it("cancels the request in flight when a newer change comes, and shows only the newer answer", async () => {
    render(<App />);
    await guidedCards();
    let aborted = false;
    recommend = (_body, signal) =>
      new Promise((resolve, reject) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(new DOMException("aborted", "AbortError"));
        });
        setTimeout(() => resolve(jsonResponse(recommendResponse({ tag: "slow" }))), 2000);
      });
    await rateCard("Ask 100", "5 stars");
    recommend = async () => jsonResponse(recommendResponse({ tag: "fresh" }));
    await rateCard("Ask 101", "3 stars");
    await screen.findByText("Pick fresh0");
    expect(aborted).toBe(true);
    expect(screen.queryByText("Pick slow0")).not.toBeInTheDocument();
  });

  it("come back after a reload from the stored ratings", async () => {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify({ ratings: [{ movie_id: 10, rating: 4.5 }], skipped: [11] }));
    render(<App />);
    const top = await screen.findByTestId("top");
    expect(within(top).getAllByRole("listitem")).toHaveLength(10);
    expect(sent[0]).toEqual({ ratings: [{ movie_id: 10, rating: 4.5 }], skipped: [11] });
  });

  it("show title, year, genres, predicted stars and the reason on each card", async () => {
    render(<App />);
    await guidedCards();
    await rateCard("Ask 100", "5 stars");
    const first = within(await screen.findByTestId("top")).getAllByRole("listitem")[0];
    expect(first).toHaveTextContent("Pick a0 (2001)");
    expect(first).toHaveTextContent("Crime · Drama");
    expect(within(first).getByRole("img", { name: "predicted 4.9 stars" })).toHaveTextContent("4.9 ★");
    expect(first).toHaveTextContent("Because you rated Heat (5 stars)");
  });

  it("announce each update politely to screen readers", async () => {
    render(<App />);
    await guidedCards();
    const announcer = screen.getByTestId("announcer");
    expect(announcer).toHaveAttribute("aria-live", "polite");
    expect(announcer).toHaveTextContent(/^$/);
    await rateCard("Ask 100", "5 stars");
    await waitFor(() => expect(announcer).toHaveTextContent("Recommendations updated from your 1 rating. Top pick: Pick a0."));
  });

  it("let a recommended movie be rated right there; it moves to the top of your ratings", async () => {
    render(<App />);
    await guidedCards();
    await rateCard("Ask 100", "5 stars");
    const top = await screen.findByTestId("top");
    const rec = within(top).getAllByRole("listitem")[2];
    expect(rec).toHaveTextContent("Pick a2");
    expect(within(rec).queryByRole("radio")).not.toBeInTheDocument(); // no stars that read like a rating
    await userEvent.click(within(rec).getByRole("button", { name: "Seen it? Rate it: Pick a2 (2001)" }));
    expect(within(rec).getAllByRole("radio")[0]).toHaveFocus();
    await userEvent.click(within(rec).getByRole("radio", { name: "2 stars" }));
    expect(sent.at(-1)!.ratings[0]).toEqual({ movie_id: 202, rating: 2 });
    expect(stored().ratings[0]).toEqual({ movie_id: 202, rating: 2 });
  });

  it("say what went wrong in words for a visitor, and retry", async () => {
    render(<App />);
    await guidedCards();
    recommend = async () => new Response("Bad Gateway", { status: 502 });
    await rateCard("Ask 100", "5 stars");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Recommendations are not available right now.");
    expect(alert).not.toHaveTextContent(/running|HTTP/);
    expect(screen.getByTestId("countdown")).toHaveTextContent(/^Trying again in 2 s\.$/); // a 5xx is retried by itself
    recommend = async () => jsonResponse(recommendResponse());
    await userEvent.click(screen.getByRole("button", { name: "Try again now" }));
    await screen.findByTestId("top");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});

describe("model still loading", () => {
  it("says so, then asks again by itself after Retry-After", async () => {
    let loading = true;
    recommend = async (body) =>
      loading
        ? jsonResponse({ error: { code: "model_unavailable", message: "loading" } }, 503, { "Retry-After": "1" })
        : jsonResponse(recommendResponse({ usedRatings: body.ratings.length }));
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify({ ratings: [{ movie_id: 10, rating: 4 }], skipped: [] }));
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveTextContent("The recommender is starting up.");
    expect(screen.getByTestId("countdown")).toHaveTextContent("Trying again in 1 s.");
    loading = false;
    await screen.findByTestId("top", {}, { timeout: 3000 });
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(sent).toHaveLength(2);
  });
});

describe("guided panel", () => {
  it("“Haven't seen it” stores the movie as skipped, sends it, and refills the card from the next answer", async () => {
    render(<App />);
    await guidedCards();
    recommend = async () => jsonResponse(recommendResponse({ askIds: [101, 102, 103, 104, 105, 106, 107] }));
    const button = within(card("Ask 100")).getByRole("button", { name: "Haven’t seen it: Ask 100 (1999)" });
    await userEvent.click(button);
    expect(stored().skipped).toEqual([100]);
    expect(sent.at(-1)).toEqual({ ratings: [], skipped: [100] });
    await waitFor(() => expect(screen.queryByText("Ask 100")).not.toBeInTheDocument());
    const cards = await guidedCards();
    expect(cards).toHaveLength(6);
    expect(cards[0]).toHaveTextContent("Ask 106"); // the freed slot takes the next movie asked; the others stay put
    expect(cards[1]).toHaveTextContent("Ask 101");
    expect(screen.getByRole("button", { name: "Haven’t seen it: Ask 106 (1999)" })).toHaveFocus();
  });

  it("keeps the card being rated in place while it has focus, so arrow keys stay on that movie", async () => {
    render(<App />);
    await guidedCards();
    recommend = async (body) => jsonResponse(recommendResponse({ askIds: [101, 102, 103, 104, 105, 106, 107], usedRatings: body.ratings.length }));
    const group = within(card("Ask 100")).getByRole("radiogroup", { name: "Your rating for Ask 100 (1999)" });
    within(group).getByRole("radio", { name: "½ star" }).focus();
    await userEvent.keyboard("{ArrowRight}{ArrowRight}{ArrowRight}");
    expect(sent).toHaveLength(1); // a preview sends nothing
    await userEvent.keyboard("{Enter}");
    await screen.findByTestId("top");
    expect(sent).toHaveLength(2);
    expect(stored().ratings).toEqual([{ movie_id: 100, rating: 2 }]);
    expect(within(group).getByRole("radio", { name: "2 stars" })).toHaveFocus();
    expect(card("Ask 100")).toHaveTextContent("Rated. It is in your ratings.");
  });
});

describe("search", () => {
  it("ignores accents, case, punctuation and spacing", async () => {
    render(<App />);
    await guidedCards();
    const found = async (text: string) => {
      await search(text);
      return within(screen.getByRole("list", { name: "Movies" })).getAllByRole("listitem").map((li) => li.textContent);
    };
    expect(await found("leon")).toEqual([expect.stringContaining("Léon: The Professional")]);
    expect(await found("WALL-E")).toEqual([expect.stringContaining("WALL·E")]);
    expect(await found("spiderman")).toEqual([expect.stringContaining("Spider-Man")]);
    expect(await found("TOY   story 1995")).toEqual([expect.stringContaining("Toy Story")]);
  });

  it("says so when nothing matches", async () => {
    render(<App />);
    await guidedCards();
    await search("zzz");
    expect(screen.getByText(/No movie matches/)).toBeInTheDocument();
  });
});

describe("your ratings", () => {
  it("are listed newest first and kept in localStorage across a remount", async () => {
    const { unmount } = render(<App />);
    await guidedCards();
    await rateFound("Heat", "4½ stars");
    await rateFound("Casino", "2 stars");
    await rateFound("Heat", "3 stars"); // a change keeps its place
    expect(stored().ratings).toEqual([{ movie_id: 12, rating: 2 }, { movie_id: 10, rating: 3 }]);
    unmount();
    render(<App />);
    const rated = await screen.findByRole("list", { name: "Rated movies" });
    const rows = within(rated).getAllByRole("listitem");
    expect(rows[0]).toHaveTextContent("Casino");
    expect(rows[1]).toHaveTextContent("Heat");
    expect(within(rows[1]).getByRole("radio", { name: "3 stars" })).toBeChecked();
  });

  it("moves focus to the next rating after removing one, and to the heading after the last", async () => {
    render(<App />);
    await guidedCards();
    await rateFound("Heat", "4 stars");
    await rateFound("Casino", "2 stars");
    await userEvent.click(screen.getByRole("button", { name: "Clear rating for Casino (1995)" }));
    expect(screen.getByRole("heading", { name: "Your ratings (1)" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Clear rating for Heat (1995)" })).toHaveFocus();
    await userEvent.keyboard("{Enter}");
    expect(screen.getByRole("heading", { name: "Your ratings (0)" })).toHaveFocus();
  });

  it("“Clear all” can be undone, with focus on Undo and then back on the list", async () => {
    render(<App />);
    await guidedCards();
    await rateFound("Heat", "4 stars");
    await rateFound("Casino", "2 stars");
    await screen.findByTestId("top");
    await userEvent.click(within(card("Ask 100")).getByRole("button", { name: /Haven’t seen it/ }));
    await userEvent.click(screen.getByRole("button", { name: "Clear all 2 ratings and 1 skip" }));
    expect(stored()).toEqual({ ratings: [], skipped: [] });
    expect(screen.queryByTestId("top")).not.toBeInTheDocument();
    const undo = screen.getByRole("button", { name: "Undo" });
    expect(undo).toHaveFocus();
    expect(screen.getByText("Cleared 2 ratings and 1 skip.")).toBeInTheDocument();
    await userEvent.click(undo);
    expect(stored()).toEqual({ ratings: [{ movie_id: 12, rating: 2 }, { movie_id: 10, rating: 4 }], skipped: [100] });
    expect(screen.getByRole("heading", { name: "Your ratings (2)" })).toHaveFocus();
    await screen.findByTestId("top");
  });
});

describe("page", () => {
  it("starts with a skip link to the results", async () => {
    render(<App />);
    await guidedCards();
    await userEvent.tab();
    const skip = screen.getByRole("link", { name: "Skip to your recommendations" });
    expect(skip).toHaveFocus();
    expect(skip).toHaveAttribute("href", "#results");
    await userEvent.click(skip);
    expect(document.getElementById("results")).toHaveFocus();
  });

  it("offers a retry when the catalog cannot be loaded", async () => {
    let fail = true;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => {
        if (fail) throw new TypeError("Failed to fetch");
        return url === "/api/movies" ? jsonResponse(moviesResponse()) : jsonResponse(recommendResponse());
      }),
    );
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveTextContent(/Could not load the movies/);
    expect(screen.getByTestId("countdown")).toHaveTextContent("Trying again in 2 s.");
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Try again now" }));
    await guidedCards();
  });

  it("shows a bar with the first pick that leads to the lists", async () => {
    render(<App />);
    await guidedCards();
    expect(screen.queryByTestId("results-bar")).not.toBeInTheDocument();
    await rateCard("Ask 100", "5 stars");
    const bar = await screen.findByTestId("results-bar");
    expect(bar).toHaveTextContent("Your top 10");
    expect(bar).toHaveTextContent("1. Pick a0");
    await act(async () => bar.click());
    expect(document.getElementById("results")).toHaveFocus();
  });
});
