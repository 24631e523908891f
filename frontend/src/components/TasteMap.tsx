import { type KeyboardEvent, useMemo, useState } from "react";
import { movieLabel, starsLabel } from "../format";
import type { Movie, RatedMovie, Recommendation } from "../types";

interface TasteMapProps {
  movies: Movie[];
  moviesById: ReadonlyMap<number, Movie>;
  ratings: RatedMovie[];
  top: Recommendation[];
  bottom: Recommendation[];
  /** Open at first (wide screens); on a phone it starts closed. */
  initiallyOpen: boolean;
}

type Kind = "rated" | "top" | "bottom";

interface Mark {
  movieId: number;
  kind: Kind;
  x: number;
  y: number;
  label: string;
}

const SIZE = 100; // viewBox units
const PAD = 4;
const place = (v: number) => PAD + v * (SIZE - 2 * PAD);

/** A shape per kind, told apart without colour: square (rated), up triangle (top 10), down triangle (bottom 10). */
function Shape({ kind, x, y }: { kind: Kind; x: number; y: number }) {
  const r = 2.2;
  if (kind === "rated") return <rect className="mark-rated" x={x - r * 0.8} y={y - r * 0.8} width={r * 1.6} height={r * 1.6} />;
  if (kind === "top") return <polygon className="mark-top" points={`${x},${y - r} ${x + r},${y + r * 0.8} ${x - r},${y + r * 0.8}`} />;
  return <polygon className="mark-bottom" points={`${x},${y + r} ${x + r},${y - r * 0.8} ${x - r},${y - r * 0.8}`} />;
}

/**
 * The catalog as points, placed by the model's view of the movies (the
 * artifact set's `map`: nearby points are movies the model treats alike),
 * with the person's rated movies, their top 10 and their bottom 10 marked.
 * Marks are told apart by shape, so it reads in black and white. One Tab stop:
 * the arrow keys go from mark to mark (left to right), and the focused or
 * hovered mark's title is written under the map. The lists are its text
 * alternative. Draws nothing for an artifact set without `map`.
 */
export function TasteMap({ movies, moviesById, ratings, top, bottom, initiallyOpen }: TasteMapProps) {
  const [active, setActive] = useState(0);
  const [hovered, setHovered] = useState<number | null>(null);
  const [open, setOpen] = useState(initiallyOpen);
  const [focused, setFocused] = useState(false);
  const placed = useMemo(() => movies.filter((m) => m.map), [movies]);
  // The catalog's dots change only with the catalog: built once, so an answer re-renders only the marks.
  const dots = useMemo(
    () => (
      <g aria-hidden="true" className="map-dots">
        {placed.map((m) => (
          <circle key={m.movie_id} cx={place(m.map![0])} cy={place(1 - m.map![1])} r={0.55} />
        ))}
      </g>
    ),
    [placed],
  );

  const marks = useMemo(() => {
    const out: Mark[] = [];
    const add = (movieId: number, kind: Kind, label: string) => {
      const where = moviesById.get(movieId)?.map;
      if (where) out.push({ movieId, kind, x: place(where[0]), y: place(1 - where[1]), label });
    };
    for (const r of ratings) {
      const m = moviesById.get(r.movie_id);
      if (m) add(r.movie_id, "rated", `${movieLabel(m.title, m.year)}: you rated it ${starsLabel(r.rating)}`);
    }
    top.forEach((r, i) => add(r.movie_id, "top", `${movieLabel(r.title, r.year)}: number ${i + 1} of your top 10`));
    bottom.forEach((r, i) => add(r.movie_id, "bottom", `${movieLabel(r.title, r.year)}: number ${i + 1} of your bottom 10`));
    return out.sort((a, b) => a.x - b.x || a.y - b.y);
  }, [moviesById, ratings, top, bottom]);

  if (placed.length === 0) return null;
  const current = Math.min(active, Math.max(0, marks.length - 1));
  const shown = hovered ?? current;
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (step === undefined || marks.length === 0) return;
    event.preventDefault();
    setHovered(null);
    setActive((current + step + marks.length) % marks.length);
  };

  return (
    <section className="taste-map" aria-labelledby="map-heading" data-testid="taste-map">
      <div className="panel-head">
        <h3 id="map-heading">Your taste on the map</h3>
        <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? "Hide the map" : "Show the map"}
        </button>
      </div>
      {open ? (
        <>
          <p className="hint" id="map-help">
            Each dot is a movie; nearby dots are movies people tend to rate alike. ■ rated by you, ▲ your top 10, ▽ your
            bottom 10. Focus the map and use the arrow keys to go from mark to mark; the lists above say the same in words.
          </p>
          <svg
            className="map"
            viewBox={`0 0 ${SIZE} ${SIZE}`}
            role="group"
            aria-label={marks.length ? `Taste map, ${marks.length} marked movies` : "Taste map"}
            aria-describedby="map-help"
            tabIndex={0}
            onKeyDown={onKeyDown}
            onFocus={() => setFocused(true)}
            onBlur={() => setFocused(false)}
            data-marks={marks.length}
          >
            {dots}
            {marks.map((mark, i) => (
              <g
                key={`${mark.kind}-${mark.movieId}`}
                className={i === shown ? "mark active" : "mark"}
                data-movie-id={mark.movieId}
                data-kind={mark.kind}
                role="img"
                aria-label={mark.label}
                onPointerEnter={() => setHovered(i)}
                onPointerLeave={() => setHovered(null)}
              >
                <Shape kind={mark.kind} x={mark.x} y={mark.y} />
                {i === shown ? <circle className="mark-ring" cx={mark.x} cy={mark.y} r={4} /> : null}
              </g>
            ))}
          </svg>
          {/* Read out only while the map has focus, so a new answer is announced once, by the results. */}
          <p className="map-label" data-testid="map-label" aria-live={focused ? "polite" : "off"}>
            {marks.length ? marks[shown].label : "Rate a movie to see it on the map."}
          </p>
        </>
      ) : null}
    </section>
  );
}
