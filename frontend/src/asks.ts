/** Which movies the guided panel asks about. */
import type { RecommendationsState } from "./hooks/useRecommendations";
import type { Answers, Ask, Movie } from "./types";

/** How many catalog movies to offer when the function sends no `ask_next`. */
const FALLBACK_ASKS = 30;

/**
 * The unanswered movies to ask about, most useful first: the latest answer's
 * `ask_next`; from a function that sends none (older than the contract) or
 * when it cannot be reached, the catalog's order (most rated first). Null
 * until the first answer, so the cards do not change under the person.
 */
export function askCandidates(state: RecommendationsState, movies: readonly Movie[], answers: Answers): Ask[] | null {
  const answered = new Set([...answers.ratings.map((r) => r.movie_id), ...answers.skipped]);
  const asks = state.data?.ask_next;
  if (asks) return asks.filter((m) => !answered.has(m.movie_id));
  if (state.seq === 0 && state.status === "loading") return null;
  const fallback: Ask[] = [];
  for (const m of movies) {
    if (fallback.length >= FALLBACK_ASKS) break;
    if (!answered.has(m.movie_id)) fallback.push(m);
  }
  return fallback;
}
