import { useEffect, useMemo, useState } from "react";
import { CatalogList } from "./components/CatalogList";
import { RatedList } from "./components/RatedList";
import { RecommendPanel } from "./components/RecommendPanel";
import { SearchBox } from "./components/SearchBox";
import { StatusMessage } from "./components/StatusMessage";
import { useCatalog } from "./hooks/useCatalog";
import { useRatings } from "./hooks/useRatings";
import { useRecommendations } from "./hooks/useRecommendations";

export function App() {
  const { catalog, retry } = useCatalog();
  const { ratings, rate, clearAll, keepOnly } = useRatings();
  const { state, request } = useRecommendations(ratings);
  const [query, setQuery] = useState("");

  const movieIds = useMemo(
    () => (catalog.status === "ready" ? new Set(catalog.movies.map((m) => m.movie_id)) : null),
    [catalog],
  );
  useEffect(() => {
    if (movieIds) keepOnly(movieIds);
  }, [movieIds, keepOnly]);

  return (
    <div className="app">
      <header className="app-header">
        <h1>Screen Genius</h1>
        <p>Rate a few movies you have seen. We will tell you the ten you will love and the ten you will not.</p>
      </header>
      {catalog.status === "loading" ? <StatusMessage kind="loading">Loading the movie catalog…</StatusMessage> : null}
      {catalog.status === "error" ? (
        <StatusMessage
          kind="error"
          action={
            <button type="button" onClick={retry}>
              Retry
            </button>
          }
        >
          Could not load the movies. {catalog.message}
        </StatusMessage>
      ) : null}
      {catalog.status === "ready" ? (
        <main className="layout">
          <section className="panel catalog" aria-labelledby="catalog-heading">
            <h2 id="catalog-heading">Movies</h2>
            <SearchBox query={query} onChange={setQuery} />
            <CatalogList movies={catalog.movies} scale={catalog.scale} ratings={ratings} query={query} onRate={rate} />
          </section>
          <div className="side">
            <RatedList movies={catalog.movies} scale={catalog.scale} ratings={ratings} onRate={rate} onClearAll={clearAll} />
            <RecommendPanel state={state} ratedCount={Object.keys(ratings).length} onRequest={request} />
          </div>
        </main>
      ) : null}
    </div>
  );
}
