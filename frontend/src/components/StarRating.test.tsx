import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { StarRating } from "./StarRating";

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
      "0.5 stars", "1 star", "1.5 stars", "2 stars", "2.5 stars", "3 stars", "3.5 stars", "4 stars", "4.5 stars", "5 stars",
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
    await userEvent.click(screen.getByRole("radio", { name: "3.5 stars" }));
    expect(onChange).toHaveBeenCalledWith(3.5);
  });

  it("moves by one step with the arrow keys, as a radio group does", async () => {
    const onChange = vi.fn();
    render(<StarRating scale={{ min: 0.5, max: 5, step: 0.5 }} value={3} onChange={onChange} label="Your rating" />);
    await userEvent.tab();
    expect(screen.getByRole("radio", { name: "3 stars" })).toHaveFocus();
    await userEvent.keyboard("{ArrowRight}");
    expect(onChange).toHaveBeenLastCalledWith(3.5);
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
    await userEvent.hover(screen.getByTitle("3.5 stars"));
    expect(filled()).toBe(7);
    await userEvent.unhover(screen.getByRole("radiogroup"));
    expect(filled()).toBe(2);
  });

  it("draws each half star at least 24 px wide (0.75em of 2rem stars)", () => {
    render(<StarRating scale={HALF} value={undefined} onChange={() => {}} label="Your rating" />);
    expect(screen.getByTitle("0.5 stars").style.width).toBe("0.75em");
  });

  it("on a touch screen gives one target per whole star: a tap sets it, a second tap takes off half", async () => {
    touchScreen();
    const onChange = vi.fn();
    const { container, rerender } = render(<StarRating scale={HALF} value={undefined} onChange={onChange} label="Your rating" />);
    const stars = container.querySelectorAll<HTMLElement>(".touch-star");
    expect(stars).toHaveLength(5);
    await userEvent.click(stars[3]);
    expect(onChange).toHaveBeenLastCalledWith(4);
    rerender(<StarRating scale={HALF} value={4} onChange={onChange} label="Your rating" />);
    await userEvent.click(stars[3]);
    expect(onChange).toHaveBeenLastCalledWith(3.5);
    rerender(<StarRating scale={HALF} value={3.5} onChange={onChange} label="Your rating" />);
    expect(stars[3].dataset.fill).toBe("0.5");
    expect(screen.getAllByRole("radio")).toHaveLength(10); // the keyboard and screen readers still get every value
  });
});
