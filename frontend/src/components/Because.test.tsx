import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Because } from "./Because";

describe("Because", () => {
  it("says liked or disliked from the contract's direction, with the stars in words", () => {
    const { container } = render(
      <Because
        because={[
          { movie_id: 1, title: "Fight Club", rating: 5, effect: 0.4, direction: "liked" },
          { movie_id: 2, title: "Heat", rating: 1.5, effect: 0.2, direction: "disliked" },
        ]}
      />,
    );
    expect(container).toHaveTextContent("Because you liked Fight Club (5 stars) and disliked Heat (1½ stars)");
  });

  it("says rated, once, when the function sends no direction yet", () => {
    const { container } = render(
      <Because
        because={[
          { movie_id: 1, title: "Fight Club", rating: 0.5, effect: 0.4 },
          { movie_id: 2, title: "Heat", rating: 4, effect: 0.2 },
        ]}
      />,
    );
    expect(container).toHaveTextContent("Because you rated Fight Club (½ star) and Heat (4 stars)");
  });

  it("says nothing without reasons", () => {
    expect(render(<Because because={[]} />).container).toBeEmptyDOMElement();
  });
});
