interface SearchBoxProps {
  query: string;
  onChange: (query: string) => void;
}

/** The catalog search field. */
export function SearchBox({ query, onChange }: SearchBoxProps) {
  return (
    <div className="search">
      <label htmlFor="movie-search">Search movies</label>
      <input
        id="movie-search"
        type="search"
        placeholder="e.g. Amélie, godfather or 1995"
        value={query}
        onChange={(event) => onChange(event.target.value)}
        autoComplete="off"
      />
    </div>
  );
}
