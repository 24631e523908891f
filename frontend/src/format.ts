/** Display helpers shared by components. */
import type { Genres, RatingScale } from "./types";

export function movieLabel(title: string, year: number | null): string {
  return year ? `${title} (${year})` : title;
}

/** "4½" for half stars, "4" for whole ones, "½" for half a star. */
export function formatStars(value: number): string {
  const whole = Math.floor(value + 1e-9);
  const half = value - whole >= 0.5 - 1e-9;
  if (!half) return String(whole);
  return whole === 0 ? "½" : `${whole}½`;
}

/** The values a user can choose on this scale, lowest first. */
export function scaleValues(scale: RatingScale): number[] {
  const values: number[] = [];
  const count = Math.round((scale.max - scale.min) / scale.step);
  for (let i = 0; i <= count; i += 1) values.push(Number((scale.min + i * scale.step).toFixed(6)));
  return values;
}

/** "1 star", "½ star", "3½ stars". */
export function starsLabel(value: number): string {
  return `${formatStars(value)} ${value <= 1 ? "star" : "stars"}`;
}

/** A rating drawn as glyphs: 4.5 -> "★★★★½". */
export function starGlyphs(value: number): string {
  const whole = Math.floor(value + 1e-9);
  return "★".repeat(whole) + (value - whole >= 0.5 - 1e-9 ? "½" : "");
}

/** ["Crime", "Drama"] from either wire form; MovieLens's "(no genres listed)" counts as none. */
export function genreList(genres: Genres | undefined): string[] {
  const list = Array.isArray(genres) ? genres : typeof genres === "string" ? genres.split("|") : [];
  return list.map((g) => g.trim()).filter((g) => g && !g.startsWith("("));
}
