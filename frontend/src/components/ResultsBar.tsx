import { useEffect, useState } from "react";
import type { Recommendation } from "../types";

/** How long "Updated" shows after an answer. */
export const UPDATED_MS = 2500;

interface ResultsBarProps {
  top: Recommendation[];
  /** Changes with every answer; shows "Updated" for a moment. */
  seq: number;
  onShow: () => void;
}

/**
 * On a phone, a bar fixed to the bottom of the screen: the lists are one tap
 * away from anywhere, with the first pick, and "Updated" for a moment after
 * every answer. Hidden on wider screens, where the lists sit beside the movies.
 */
export function ResultsBar({ top, seq, onShow }: ResultsBarProps) {
  const [freshSeq, setFreshSeq] = useState<number | null>(null);
  useEffect(() => {
    setFreshSeq(seq);
    const timer = setTimeout(() => setFreshSeq(null), UPDATED_MS);
    return () => clearTimeout(timer);
  }, [seq]);
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
      {freshSeq === seq ? (
        <span key={seq} className="results-bar-updated">
          Updated
        </span>
      ) : null}
    </a>
  );
}
