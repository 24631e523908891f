import type { Recommendation } from "../types";

interface ResultsBarProps {
  top: Recommendation[];
  /** Changes with every answer; restarts the "Updated" flash. */
  seq: number;
  onShow: () => void;
}

/**
 * On a phone, a bar fixed to the bottom of the screen: the lists are one tap
 * away from anywhere, and it flashes "Updated" with the new first pick after
 * every rating. Hidden on wider screens, where the lists sit beside the movies.
 */
export function ResultsBar({ top, seq, onShow }: ResultsBarProps) {
  if (top.length === 0) return null;
  return (
    <a
      className="results-bar"
      href="#results"
      data-testid="results-bar"
      onClick={(event) => {
        event.preventDefault();
        onShow();
      }}
    >
      <span className="results-bar-label">Your top 10</span>
      <span className="results-bar-pick">1. {top[0].title}</span>
      <span key={seq} className="results-bar-updated">
        Updated
      </span>
    </a>
  );
}
