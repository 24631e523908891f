import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { COMMIT_PAUSE_MS, StarRating } from "./StarRating";

const HALF = { min: 0.5, max: 5, step: 0.5 };

afterEach(() => vi.unstubAllGlobals());

/** A touch screen: the primary pointer is coarse. */
function touchScreen() {
  vi.stubGlobal("matchMedia", (query: string) => ({
    matches: query === "(pointer: coarse)",
    media: query,
    addEventListener: () => {},
    removeEventListener: () => {},
  }));
}

describe("StarRating", () => {
  it("offers half stars from 0.5 to 5 on a half-star scale", () => {
    render(<StarRating scale={{ min: 0.5, max: 5, step: 0.5 }} value={undefined} onChange={() => {}} label="Your rating for Heat" />);
    const radios = screen.getAllByRole("radio");
    expect(radios.map((r) => r.getAttribute("aria-label"))).toEqual([
      "½ star", "1 star", "1½ stars", "2 stars", "2½ stars", "3 stars", "3½ stars", "4 stars", "4½ stars", "5 stars",
    ]);
    expect(screen.getByRole("radiogroup", { name: "Your rating for Heat" })).toBeInTheDocument();
  });

  it("offers whole stars only on a whole-star scale", () => {
    render(<StarRating scale={{ min: 1, max: 5, step: 1 }} value={3} onChange={() => {}} label="Your rating" />);
    expect(screen.getAllByRole("radio")).toHaveLength(5);
    expect(screen.getByRole("radio", { name: "3 stars" })).toBeChecked();
  });

  it("reports the value that was clicked", async () => {
    const onChange = vi.fn();
    render(<StarRating scale={{ min: 0.5, max: 5, step: 0.5 }} value={undefined} onChange={onChange} label="Your rating" />);
    await userEvent.click(screen.getByRole("radio", { name: "3½ stars" }));
    expect(onChange).toHaveBeenCalledWith(3.5);
  });

  it("previews with the arrow keys and commits once, with Enter", async () => {
    const onChange = vi.fn();
    const { container } = render(<StarRating scale={HALF} value={3} onChange={onChange} label="Your rating" />);
    await userEvent.tab();
    expect(screen.getByRole("radio", { name: "3 stars" })).toHaveFocus();
    await userEvent.keyboard("{ArrowRight}{ArrowRight}");
    expect(onChange).not.toHaveBeenCalled();
    expect(screen.getByRole("radio", { name: "4 stars" })).toHaveFocus();
    expect(screen.getByRole("radio", { name: "4 stars" })).not.toBeChecked();
    expect(container.querySelectorAll(".star-slot.filled")).toHaveLength(8); // the preview is drawn
    await userEvent.keyboard("{Enter}");
    expect(onChange.mock.calls).toEqual([[4]]);
  });

  it("commits an arrow-key preview by itself after a pause, and Escape drops it", async () => {
    const onChange = vi.fn();
    render(<StarRating scale={HALF} value={3} onChange={onChange} label="Your rating" />);
    await userEvent.tab();
    await userEvent.keyboard("{ArrowLeft}{Escape}");
    await new Promise((done) => setTimeout(done, COMMIT_PAUSE_MS + 100));
    expect(onChange).not.toHaveBeenCalled();
    await userEvent.keyboard("{ArrowLeft}{ArrowLeft}{ArrowLeft}");
    expect(onChange).not.toHaveBeenCalled();
    await waitFor(() => expect(onChange.mock.calls).toEqual([[1.5]]), { timeout: COMMIT_PAUSE_MS * 3 });
  });

  it("sets whole stars with the digit keys and a half more with Shift", async () => {
    const onChange = vi.fn();
    render(<StarRating scale={HALF} value={undefined} onChange={onChange} label="Your rating" />);
    await userEvent.tab();
    await userEvent.keyboard("4");
    expect(onChange).toHaveBeenLastCalledWith(4);
    await userEvent.keyboard("{Shift>}2{/Shift}");
    expect(onChange).toHaveBeenLastCalledWith(2.5);
    await userEvent.keyboard("9");
    expect(onChange).toHaveBeenCalledTimes(2); // not on the scale: nothing
  });

  it("does not rate on a Space with nothing previewed (no accidental ½ star)", async () => {
    const onChange = vi.fn();
    render(<StarRating scale={HALF} value={undefined} onChange={onChange} label="Your rating" />);
    await userEvent.tab();
    await userEvent.keyboard(" ");
    expect(onChange).not.toHaveBeenCalled();
  });

  it("fills the stars up to the current rating", () => {
    const { container } = render(
      <StarRating scale={{ min: 0.5, max: 5, step: 0.5 }} value={2.5} onChange={() => {}} label="Your rating" />,
    );
    expect(container.querySelectorAll(".star-slot.filled")).toHaveLength(5);
  });

  it("previews every star up to the hovered one, and the rating again when the pointer leaves", async () => {
    const { container } = render(<StarRating scale={HALF} value={1} onChange={() => {}} label="Your rating" />);
    const filled = () => container.querySelectorAll(".star-slot.filled").length;
    expect(filled()).toBe(2);
    await userEvent.hover(screen.getByTitle("3½ stars"));
    expect(filled()).toBe(7);
    await userEvent.unhover(screen.getByRole("radiogroup"));
    expect(filled()).toBe(2);
  });

  it("draws each half star as half a star's slice (0.75em of 2rem stars: 24 px)", () => {
    render(<StarRating scale={HALF} value={undefined} onChange={() => {}} label="Your rating" />);
    expect(screen.getByTitle("½ star")).toHaveClass("slice-left");
    expect(screen.getByTitle("1 star")).toHaveClass("slice-right");
  });

  it("on a touch screen gives one target per whole star and a button for the half star", async () => {
    touchScreen();
    const onChange = vi.fn();
    const { container, rerender } = render(<StarRating scale={HALF} value={undefined} onChange={onChange} label="Your rating" />);
    const stars = container.querySelectorAll<HTMLElement>(".touch-star");
    expect(stars).toHaveLength(5);
    expect(screen.getByRole("button", { name: "+½ star (tap a star first)" })).toBeDisabled();
    await userEvent.click(stars[3]);
    expect(onChange).toHaveBeenLastCalledWith(4);
    rerender(<StarRating scale={HALF} value={4} onChange={onChange} label="Your rating" />);
    await userEvent.click(screen.getByRole("button", { name: "+½ star: make it 4½ stars" }));
    expect(onChange).toHaveBeenLastCalledWith(4.5);
    rerender(<StarRating scale={HALF} value={4.5} onChange={onChange} label="Your rating" />);
    expect(stars[4]).toHaveClass("fill-half");
    expect(screen.getByRole("button", { name: "−½ star: make it 4 stars" })).toBeEnabled();
    expect(screen.getAllByRole("radio")).toHaveLength(10); // the keyboard and screen readers still get every value
  });
});
