/** Shapes of the function's HTTP API (see shared DESIGN.md, "HTTP API"). */

export interface Movie {
  movie_id: number;
  title: string;
  year: number | null;
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

export interface Recommendation {
  movie_id: number;
  title: string;
  year: number | null;
  predicted_rating: number;
}

export interface RecommendResponse {
  top: Recommendation[];
  bottom: Recommendation[];
  model_version: string;
  used_ratings: number;
}

/** The user's ratings, movie id -> stars. */
export type Ratings = Record<number, number>;
