import { useMemo, useState } from "react";
import { ANY, type BrowseFilter, browseMovies, decadesOf, genresOf } from "../browse";
import { type SearchEntry, searchMovies } from "../search";
import type { Movie, RatingScale } from "../types";
import { CatalogList } from "./CatalogList";
import { SearchBox } from "./SearchBox";

interface FindPanelProps {
  movies: Movie[];
  searchKeys: ReadonlyMap<number, SearchEntry>;
  scale: RatingScale;
  ratingOf: ReadonlyMap<number, number>;
  onRate: (movieId: number, rating: number | null) => void;
}

function browseCaption(filter: BrowseFilter, count: number): string {
  const what = [filter.genre, filter.decade !== null ? `${filter.decade}s` : ""].filter(Boolean).join(", ");
  const n = count === 1 ? "1 movie" : `${count} movies`;
  return what ? `${what}: ${n}, most rated first` : `Most rated first: ${n}`;
}

/** "Find a movie": search (typos forgiven), or browse by genre and decade, most rated first. */
export function FindPanel({ movies, searchKeys, scale, ratingOf, onRate }: FindPanelProps) {
  const [query, setQuery] = useState("");
  const [filter, setFilter] = useState<BrowseFilter>(ANY);
  // Nothing is listed until the person types or chooses a way in, so the page stays short.
  const [browsing, setBrowsing] = useState(false);
  const choose = (change: Partial<BrowseFilter>) => {
    setFilter((f) => ({ ...f, ...change }));
    setBrowsing(true);
  };
  const genres = useMemo(() => genresOf(movies), [movies]);
  const decades = useMemo(() => decadesOf(movies), [movies]);
  const searching = query.trim() !== "";
  const found = useMemo(
    () => (searching ? searchMovies(movies, searchKeys, query) : browseMovies(movies, filter)),
    [searching, movies, searchKeys, query, filter],
  );
  const caption = searching
    ? found.length === 0
      ? `No movie matches “${query}”. Try another part of the title, or browse below.`
      : found.length === 1
        ? "1 movie matches"
        : `${found.length} movies match`
    : browseCaption(filter, found.length);

  return (
    <section className="panel find-panel" aria-labelledby="find-heading">
      <h2 id="find-heading">Find a movie</h2>
      <SearchBox query={query} onChange={setQuery} />
      <div className="browse" role="group" aria-label="Browse">
        <label>
          Genre{" "}
          <select value={filter.genre} onChange={(e) => choose({ genre: e.target.value })} disabled={searching}>
            <option value="">Any genre</option>
            {genres.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <label>
          Decade{" "}
          <select
            value={filter.decade ?? ""}
            onChange={(e) => choose({ decade: e.target.value === "" ? null : Number(e.target.value) })}
            disabled={searching}
          >
            <option value="">Any decade</option>
            {decades.map((d) => (
              <option key={d} value={d}>
                {d}s
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="small-button" aria-pressed={browsing && filter.genre === "" && filter.decade === null} disabled={searching} onClick={() => choose(ANY)}>
          Most rated
        </button>
      </div>
      {!searching && !browsing ? (
        <p className="hint">Type part of a title (typos are fine), or browse by genre, by decade or the most rated.</p>
      ) : searching && found.length === 0 ? (
        <p className="empty" role="status">
          {caption}
        </p>
      ) : (
        <CatalogList
          movies={found}
          caption={caption}
          resetKey={searching ? `q:${query}` : `b:${filter.genre}:${filter.decade}`}
          scale={scale}
          ratingOf={ratingOf}
          onRate={onRate}
        />
      )}
    </section>
  );
}
