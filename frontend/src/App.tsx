import { type MouseEvent, useCallback, useEffect, useMemo } from "react";
import { askCandidates } from "./asks";
import { AboutFooter } from "./components/AboutFooter";
import { FindPanel } from "./components/FindPanel";
import { GUIDED_SLOTS, GuidedPanel } from "./components/GuidedPanel";
import { ProgressHint } from "./components/ProgressHint";
import { RatedList } from "./components/RatedList";
import { ResultsBar } from "./components/ResultsBar";
import { RESULTS_ID, ResultsPanel, hasLists } from "./components/ResultsPanel";
import { RetryNotice } from "./components/RetryNotice";
import { SkippedList } from "./components/SkippedList";
import { KEYS_HINT_ID } from "./components/StarRating";
import { StatusMessage } from "./components/StatusMessage";
import { TasteMap } from "./components/TasteMap";
import { useAnswers } from "./hooks/useAnswers";
import { useCatalog } from "./hooks/useCatalog";
import { useMediaQuery } from "./hooks/useMediaQuery";
import { useRecommendations } from "./hooks/useRecommendations";
import { searchKeys } from "./search";
import type { Movie } from "./types";

const NO_MOVIES: Movie[] = [];
/** Movies asked about at once on a phone (6 on wider screens). */
const PHONE_SLOTS = 4;

/** Scroll to a section and move focus there (skip link, phone bar, the header's links). */
function show(id: string) {
  const target = document.getElementById(id);
  target?.scrollIntoView({ block: "start" });
  const focusable = target?.hasAttribute("tabindex") ? target : target?.querySelector<HTMLElement>("h2[tabindex]");
  focusable?.focus({ preventScroll: true });
}

function jump(id: string) {
  return (event: MouseEvent) => {
    event.preventDefault();
    show(id);
  };
}

export function App() {
  const { catalog, retry: retryCatalog } = useCatalog();
  const { answers, ratingOf, rate, skip, unskip, clearAll, cleared, undo, keepOnly } = useAnswers();
  const { state, retry } = useRecommendations(answers);
  const wide = useMediaQuery("(min-width: 761px)");

  const movies = catalog.status === "ready" ? catalog.movies : NO_MOVIES;
  const moviesById = useMemo(() => new Map(movies.map((m) => [m.movie_id, m])), [movies]);
  const keys = useMemo(() => searchKeys(movies), [movies]);
  useEffect(() => {
    if (movies !== NO_MOVIES) keepOnly(new Set(moviesById.keys()));
  }, [movies, moviesById, keepOnly]);
  const candidates = useMemo(() => askCandidates(state, movies, answers), [state, movies, answers]);
  const lists = hasLists(state, answers.ratings.length) ? state.data : null;
  const showResults = useCallback(() => show(RESULTS_ID), []);

  return (
    <>
      {catalog.status === "ready" ? (
        <a className="skip-link" href={`#${RESULTS_ID}`} onClick={jump(RESULTS_ID)}>
          Skip to your recommendations
        </a>
      ) : null}
      <div className="app">
        <header className="app-header">
          <div>
            <h1>Screen Genius</h1>
            <p>Rate a few movies you have seen. We will tell you the ten you will love and the ten you will not.</p>
          </div>
          {catalog.status === "ready" ? (
            <nav aria-label="Your answers" className="jump-links">
              <a href="#rated" onClick={jump("rated")}>
                Your ratings ({answers.ratings.length})
              </a>
              <a href="#skipped" onClick={jump("skipped")}>
                Haven’t seen ({answers.skipped.length})
              </a>
            </nav>
          ) : null}
        </header>
        {catalog.status === "loading" ? <StatusMessage kind="loading">Loading the movies…</StatusMessage> : null}
        {catalog.status === "error" ? (
          <RetryNotice message={`Could not load the movies. ${catalog.message}`} retryAt={catalog.retryAt} onRetry={retryCatalog} />
        ) : null}
        {catalog.status === "ready" ? (
          <main className="layout">
            <p id={KEYS_HINT_ID} className="visually-hidden">
              Arrow keys choose, Enter rates. Or press 1 to 5 for whole stars, Shift with a digit for that and a half.
            </p>
            <div className="ask-column">
              <GuidedPanel
                candidates={candidates}
                scale={catalog.scale}
                ratingOf={ratingOf}
                onRate={rate}
                onSkip={skip}
                size={wide ? GUIDED_SLOTS : PHONE_SLOTS}
              />
              <FindPanel movies={movies} searchKeys={keys} scale={catalog.scale} ratingOf={ratingOf} onRate={rate} />
            </div>
            <div className="results-column">
              <ResultsPanel
                state={state}
                ratedCount={answers.ratings.length}
                scale={catalog.scale}
                ratingOf={ratingOf}
                onRate={rate}
                onRetry={retry}
                progress={<ProgressHint rated={answers.ratings.length} />}
                wide={wide}
                map={
                  lists ? (
                    <TasteMap
                      movies={movies}
                      moviesById={moviesById}
                      ratings={answers.ratings}
                      top={lists.top}
                      bottom={lists.bottom}
                      initiallyOpen={wide}
                    />
                  ) : null
                }
              />
              <RatedList
                moviesById={moviesById}
                scale={catalog.scale}
                ratings={answers.ratings}
                skippedCount={answers.skipped.length}
                onRate={rate}
                onClearAll={clearAll}
                cleared={cleared}
                onUndo={undo}
              />
              <SkippedList moviesById={moviesById} skipped={answers.skipped} onUnskip={unskip} />
            </div>
          </main>
        ) : null}
        {catalog.status === "ready" ? <AboutFooter modelVersion={catalog.modelVersion} /> : null}
      </div>
      {lists && catalog.status === "ready" ? <ResultsBar top={lists.top} seq={state.seq} onShow={showResults} /> : null}
    </>
  );
}
