import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { STORAGE_KEY } from "./storage";
import { jsonResponse, moviesResponse, recommendResponse } from "./test/fixtures";

type Handler = (body: { ratings: { movie_id: number; rating: number }[] }, signal: AbortSignal) => Promise<Response>;

let recommend: Handler;
const recommendCalls: { movie_id: number; rating: number }[][] = [];

beforeEach(() => {
  recommendCalls.length = 0;
  recommend = async () => jsonResponse(recommendResponse());
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit) => {
      if (url === "/api/movies") return jsonResponse(moviesResponse());
      if (url === "/api/recommend") {
        const body = JSON.parse(String(init.body));
        recommendCalls.push(body.ratings);
        return recommend(body, init.signal as AbortSignal);
      }
      return jsonResponse({ error: { code: "not_found", message: "no route" } }, 404);
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

function row(title: string): HTMLElement {
  const list = screen.getByRole("list", { name: "Movies" });
  const item = within(list).getByText(title).closest("li");
  if (!item) throw new Error(`no row for ${title}`);
  return item;
}

async function rate(title: string, stars: string) {
  await userEvent.click(within(row(title)).getByRole("radio", { name: stars }));
}

describe("App", () => {
  it("loads the catalog and filters it by search", async () => {
    render(<App />);
    expect(screen.getByText(/Loading the movie catalog/)).toBeInTheDocument();
    await screen.findByRole("list", { name: "Movies" });
    await userEvent.type(screen.getByLabelText("Search movies"), "toy");
    const list = screen.getByRole("list", { name: "Movies" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(1);
    expect(within(list).getByText("Toy Story")).toBeInTheDocument();
  });

  it("says so when nothing matches the search", async () => {
    render(<App />);
    await screen.findByRole("list", { name: "Movies" });
    await userEvent.type(screen.getByLabelText("Search movies"), "zzz");
    expect(screen.getByText(/No movie matches/)).toBeInTheDocument();
  });

  it("keeps ratings in localStorage and shows them after a remount", async () => {
    const { unmount } = render(<App />);
    await screen.findByRole("list", { name: "Movies" });
    await rate("Heat", "4.5 stars");
    expect(JSON.parse(window.localStorage.getItem(STORAGE_KEY)!)).toEqual({ 10: 4.5 });
    unmount();
    render(<App />);
    const rated = await screen.findByRole("list", { name: "Rated movies" });
    expect(within(rated).getByRole("radio", { name: "4.5 stars" })).toBeChecked();
  });

  it("clears one rating and all ratings", async () => {
    render(<App />);
    await screen.findByRole("list", { name: "Movies" });
    await rate("Heat", "4 stars");
    await rate("Casino", "2 stars");
    await userEvent.click(screen.getAllByRole("button", { name: "Clear rating for Heat (1995)" })[0]);
    expect(screen.getByRole("heading", { name: "Your ratings (1)" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Clear all" }));
    expect(screen.getByRole("heading", { name: "Your ratings (0)" })).toBeInTheDocument();
    expect(JSON.parse(window.localStorage.getItem(STORAGE_KEY)!)).toEqual({});
  });

  it("disables the button until something is rated", async () => {
    render(<App />);
    await screen.findByRole("list", { name: "Movies" });
    expect(screen.getByRole("button", { name: "Get recommendations" })).toBeDisabled();
    expect(screen.getByText(/Rate at least one movie/)).toBeInTheDocument();
  });

  it("shows the top ten and bottom ten with predicted ratings", async () => {
    render(<App />);
    await screen.findByRole("list", { name: "Movies" });
    await rate("Heat", "5 stars");
    await userEvent.click(screen.getByRole("button", { name: "Get recommendations" }));
    const top = await screen.findByTestId("top");
    expect(within(top).getAllByRole("listitem")).toHaveLength(10);
    expect(within(screen.getByTestId("bottom")).getAllByRole("listitem")).toHaveLength(10);
    expect(within(top).getAllByRole("listitem")[0]).toHaveTextContent("Pick a0 (2001)4.9 ★");
    expect(recommendCalls).toEqual([[{ movie_id: 10, rating: 5 }]]);
  });

  it("refreshes once, debounced, as the user keeps rating", async () => {
    render(<App />);
    await screen.findByRole("list", { name: "Movies" });
    await rate("Heat", "5 stars");
    await userEvent.click(screen.getByRole("button", { name: "Get recommendations" }));
    await screen.findByTestId("top");
    recommend = async (body) => jsonResponse(recommendResponse("b", body.ratings.length));
    await rate("Casino", "1 star");
    await rate("Nixon", "3 stars");
    await screen.findByText("Pick b0 (2001)");
    expect(recommendCalls).toHaveLength(2); // one refresh for both changes
    expect(recommendCalls[1]).toHaveLength(3);
  });

  it("drops a stale answer when a newer request is made", async () => {
    render(<App />);
    await screen.findByRole("list", { name: "Movies" });
    await rate("Heat", "5 stars");
    let aborted = false;
    recommend = (_body, signal) =>
      new Promise((resolve, reject) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(new DOMException("aborted", "AbortError"));
        });
        setTimeout(() => resolve(jsonResponse(recommendResponse("slow"))), 2000);
      });
    await userEvent.click(screen.getByRole("button", { name: "Get recommendations" }));
    recommend = async () => jsonResponse(recommendResponse("fresh"));
    await userEvent.click(screen.getByRole("button", { name: "Get recommendations" }));
    await screen.findByText("Pick fresh0 (2001)");
    expect(aborted).toBe(true);
  });

  it("shows what went wrong and offers to retry when the function is down", async () => {
    recommend = async () => new Response("Bad Gateway", { status: 502 });
    render(<App />);
    await screen.findByRole("list", { name: "Movies" });
    await rate("Heat", "5 stars");
    await userEvent.click(screen.getByRole("button", { name: "Get recommendations" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/not answering \(HTTP 502\).*Try again/);
    recommend = async () => jsonResponse(recommendResponse());
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByTestId("top");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("offers a retry when the catalog cannot be loaded", async () => {
    let fail = true;
    vi.stubGlobal("fetch", vi.fn(async () => (fail ? Promise.reject(new TypeError("Failed to fetch")) : jsonResponse(moviesResponse()))));
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveTextContent(/Could not load the movies/);
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    await screen.findByRole("list", { name: "Movies" });
  });

  it("says so when every rating was cleared after results were shown", async () => {
    render(<App />);
    await screen.findByRole("list", { name: "Movies" });
    await rate("Heat", "5 stars");
    await userEvent.click(screen.getByRole("button", { name: "Get recommendations" }));
    await screen.findByTestId("top");
    await userEvent.click(screen.getByRole("button", { name: "Clear all" }));
    await waitFor(() => expect(screen.getByText(/No ratings left/)).toBeInTheDocument());
    expect(screen.queryByTestId("top")).not.toBeInTheDocument();
  });
});
