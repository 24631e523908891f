import { genreList } from "../format";
import type { Genres as GenresValue } from "../types";

/** "Crime · Drama", or nothing when the genres are unknown. */
export function Genres({ genres }: { genres: GenresValue | undefined }) {
  const list = genreList(genres);
  return list.length ? <span className="genres">{list.join(" · ")}</span> : null;
}
