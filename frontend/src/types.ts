/** Shapes of the function's HTTP API (shared DESIGN.md, "HTTP API"; functions/openapi.yaml). */

/**
 * A movie's genres as the function sends them: a list, or MovieLens's
 * "Crime|Drama" string; absent or null when unknown. `genreList` reads either.
 */
export type Genres = string[] | string | null;

export interface Movie {
  movie_id: number;
  /** The title as a person reads it ("Amélie"). */
  title: string;
  /** Other titles (alternate-language, "a.k.a."), for search; absent from older functions. */
  aka?: string[];
  year: number | null;
  genres?: Genres;
  /** Training users who rated it (the catalog is most-rated first). */
  n_ratings?: number;
  /** [x, y] in [0, 1] on the taste map; absent in artifact sets without one. */
  map?: [number, number];
}

/** The dataset's rating scale, e.g. MovieLens 0.5..5 step 0.5, Netflix 1..5 step 1. */
export interface RatingScale {
  min: number;
  max: number;
  step: number;
}

export interface MoviesResponse {
  movies: Movie[];
  rating_scale: RatingScale;
  model_version: string;
}

/** One of the person's own ratings that moved a recommendation; `effect` in stars, signed. */
export interface Because {
  movie_id: number;
  title: string;
  rating: number;
  effect: number;
  /** The person's rating against their own average; absent from functions older than the contract. */
  direction?: "liked" | "disliked";
}

export interface Recommendation {
  movie_id: number;
  title: string;
  year: number | null;
  genres?: Genres;
  predicted_rating: number;
  /** 0-2 reasons; absent from functions older than the contract. */
  because?: Because[];
}

/** A movie whose rating would tell the model most about this person now. */
export interface Ask {
  movie_id: number;
  title: string;
  year: number | null;
  genres?: Genres;
}

export interface RecommendResponse {
  top: Recommendation[];
  bottom: Recommendation[];
  /** Absent from functions older than the contract; the site then asks in catalog order. */
  ask_next?: Ask[];
  model_version: string;
  used_ratings: number;
}

export interface RatedMovie {
  movie_id: number;
  rating: number;
}

/** What the person told us, kept in localStorage: ratings newest first, and movies they have not seen. */
export interface Answers {
  ratings: RatedMovie[];
  skipped: number[];
}
