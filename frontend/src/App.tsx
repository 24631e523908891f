import { type MouseEvent, useCallback, useEffect, useMemo, useState } from "react";
import { askCandidates } from "./asks";
import { CatalogList } from "./components/CatalogList";
import { GuidedPanel } from "./components/GuidedPanel";
import { RatedList } from "./components/RatedList";
import { ResultsBar } from "./components/ResultsBar";
import { RESULTS_ID, ResultsPanel, hasLists } from "./components/ResultsPanel";
import { SearchBox } from "./components/SearchBox";
import { StatusMessage } from "./components/StatusMessage";
import { useAnswers } from "./hooks/useAnswers";
import { useCatalog } from "./hooks/useCatalog";
import { useRecommendations } from "./hooks/useRecommendations";
import { searchKeys } from "./search";
import type { Movie } from "./types";

const NO_MOVIES: Movie[] = [];

/** Scroll to the results and move focus there (skip link, phone bar). */
function showResults() {
  const results = document.getElementById(RESULTS_ID);
  results?.scrollIntoView({ block: "start" });
  results?.focus({ preventScroll: true });
}

export function App() {
  const { catalog, retry: retryCatalog } = useCatalog();
  const { answers, ratingOf, rate, skip, clearAll, cleared, undo, keepOnly } = useAnswers();
  const { state, retry } = useRecommendations(answers);
  const [query, setQuery] = useState("");

  const movies = catalog.status === "ready" ? catalog.movies : NO_MOVIES;
  const moviesById = useMemo(() => new Map(movies.map((m) => [m.movie_id, m])), [movies]);
  const keys = useMemo(() => searchKeys(movies), [movies]);
  useEffect(() => {
    if (movies !== NO_MOVIES) keepOnly(new Set(moviesById.keys()));
  }, [movies, moviesById, keepOnly]);
  const candidates = useMemo(() => askCandidates(state, movies, answers), [state, movies, answers]);
  const lists = hasLists(state, answers.ratings.length) ? state.data : null;
  const onSkipLink = useCallback((event: MouseEvent) => {
    event.preventDefault();
    showResults();
  }, []);

  return (
    <>
      {catalog.status === "ready" ? (
        <a className="skip-link" href={`#${RESULTS_ID}`} onClick={onSkipLink}>
          Skip to your recommendations
        </a>
      ) : null}
      <div className="app">
        <header className="app-header">
          <h1>Screen Genius</h1>
          <p>Rate a few movies you have seen. We will tell you the ten you will love and the ten you will not.</p>
        </header>
        {catalog.status === "loading" ? <StatusMessage kind="loading">Loading the movies…</StatusMessage> : null}
        {catalog.status === "error" ? (
          <StatusMessage
            kind="error"
            action={
              <button type="button" onClick={retryCatalog}>
                Retry
              </button>
            }
          >
            Could not load the movies. {catalog.message}
          </StatusMessage>
        ) : null}
        {catalog.status === "ready" ? (
          <main className="layout">
            <div className="ask-column">
              <GuidedPanel candidates={candidates} scale={catalog.scale} ratingOf={ratingOf} onRate={rate} onSkip={skip} />
              <section className="panel search-panel" aria-labelledby="search-heading">
                <h2 id="search-heading">Find a movie</h2>
                <SearchBox query={query} onChange={setQuery} />
                <CatalogList movies={movies} searchKeys={keys} scale={catalog.scale} ratingOf={ratingOf} query={query} onRate={rate} />
              </section>
            </div>
            <div className="results-column">
              <ResultsPanel
                state={state}
                ratedCount={answers.ratings.length}
                scale={catalog.scale}
                ratingOf={ratingOf}
                onRate={rate}
                onRetry={retry}
              />
              <RatedList
                moviesById={moviesById}
                scale={catalog.scale}
                ratings={answers.ratings}
                onRate={rate}
                onClearAll={clearAll}
                cleared={cleared}
                onUndo={undo}
              />
            </div>
          </main>
        ) : null}
      </div>
      {lists && catalog.status === "ready" ? <ResultsBar top={lists.top} seq={state.seq} onShow={showResults} /> : null}
    </>
  );
}
