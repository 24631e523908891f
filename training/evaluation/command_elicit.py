"""`python -m training elicit`: measure the ``ask_next`` strategies on simulated newcomers (``elicitation``).

Protocol: user-level 5-fold cross-validation (``folds``) over every user of
the dataset. For each fold the served model (``ServedModel``: Model 1, the
user tower with ``--ensemble`` towers where the served model has 5, and the
list ranking that orders top and bottom) is fitted on the other folds' users
only, the per-movie statistics come from those users too, and every user of
the fold with at least 21 catalog ratings is simulated with every strategy.
Results are merged over folds (weighted by users) and written to ``--out``:
``elicitation.json``, ``elicitation.md``, ``elicitation.png`` (recall@10,
RMSE, hate@10 and answers against rounds, one line per strategy) and
``elicitation.html`` (a fragment the evaluation report can include).
"""

from __future__ import annotations

import argparse
import html
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from training.coldstart import folds
from training.evaluation import elicitation


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("data/movielens-sample"), help="ingested dataset directory")
    parser.add_argument("--out", type=Path, default=Path("reports/eval"), help="report directory (files elicitation.*)")
    parser.add_argument("--cache", type=Path, default=Path("data/cache"), help="title-embedding cache directory")
    parser.add_argument("--folds", type=int, default=folds.N_FOLDS, help="user-level folds")
    parser.add_argument("--only-folds", type=int, nargs="*", help="run these folds only (default: all)")
    parser.add_argument("--ensemble", type=int, default=1, help="user towers per fold (the served model has 5)")
    parser.add_argument("--quick", action="store_true", help="quick training profile, 2 folds (smoke tests)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--strategies", nargs="*", choices=elicitation.STRATEGIES, help="simulate these only (default: all)"
    )


def main(args: argparse.Namespace) -> int:
    from training.dataset import load_dataset

    ds = load_dataset(args.data)
    n_folds = 2 if args.quick else args.folds
    results = run(
        ds,
        n_folds=n_folds,
        only=args.only_folds,
        ensemble=args.ensemble,
        quick=args.quick,
        cache_dir=args.cache,
        seed=args.seed,
        log=print,
        strategies=args.strategies or elicitation.STRATEGIES,
    )
    path = write(results, args.out)
    print(f"elicitation report: {path}")
    return 0


def all_ratings(ds):
    from training.coldstart.ratings import CatalogRatings

    frame = ds.ratings(columns=["user_id", "movie_id", "rating"], catalog_only=True)
    return CatalogRatings.from_frame(frame, ds.catalog["movie_id"].to_numpy())


def train_fold(ds, train, features, quick: bool, ensemble: int, seed: int, log):
    """The served model (Model 1, user tower, list ranking) fitted on one fold's training users."""
    from training.models.fitting import served_model

    model = served_model(features, ds.rating_scale.step, quick, seed, log=None, ensemble=ensemble)
    model.fit(train)
    return model


def run(
    ds,
    n_folds: int = folds.N_FOLDS,
    only=None,
    ensemble: int = 1,
    quick: bool = False,
    cache_dir=None,
    seed: int = 0,
    log=print,
    strategies=elicitation.STRATEGIES,
) -> dict:
    from training.models.fitting import catalog_features

    started = time.perf_counter()
    ratings = all_ratings(ds)
    features = catalog_features(ds, cache_dir)
    per_fold, timings = [], []
    for fold in only if only else range(n_folds):
        t = time.perf_counter()
        train, test = folds.split_fold(ratings, fold, n_folds, seed)
        model = train_fold(ds, train, features, quick, ensemble, seed, log)
        trained_s = time.perf_counter() - t
        data = elicitation.elicitation_data(train, model.movie_vectors, model.offset, ds.rating_scale)
        log(
            f"fold {fold}: {train.n_users} training users, {len(elicitation.newcomers.eligible(test))} simulated "
            f"(trained in {trained_s:.0f} s)"
        )
        per_fold.append(elicitation.simulate(model, data, test, strategies, scale=ds.rating_scale, seed=seed, log=log))
        timings.append({"fold": fold, "train_s": trained_s, "total_s": time.perf_counter() - t})
    merged = elicitation.merge_folds(per_fold)
    # The mirror-image profiles' cards, on the last fold's model and data (the strategies as served: +unlisted[N]).
    asked = [s for s in strategies if "+unlisted" in s]
    titles = ds.catalog["title"].tolist()
    mirrors = elicitation.mirror_cards(model, data, ds.catalog, ds.rating_scale, asked) if asked else []
    for m in mirrors:
        m["titles"] = {
            str(r): titles[r]
            for side in ("cards", "mirror_cards")
            for c in m[side].values()
            for rows in c
            for r in rows
        }
        m["titles"].update({str(r): titles[r] for r, _ in m["given"]})
    return {
        "dataset": ds.info.get("name"),
        "catalog_size": len(ds.catalog),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "protocol": {
            "description": (__doc__.split("\n\n")[1] + " " + elicitation.__doc__.split("\n\n")[1]).replace("\n", " "),
            "n_folds": n_folds,
            "folds_run": [t["fold"] for t in timings],
            "ensemble": ensemble,
            "quick": quick,
            "rounds": elicitation.ROUNDS,
            "per_round": elicitation.PER_ROUND,
            "max_answers": elicitation.MAX_ANSWERS,
            "liked": elicitation.LIKED,
            "disliked": elicitation.DISLIKED,
            "served": elicitation.elicit.SERVED,
        },
        "results": merged,
        "intervals": intervals(merged),
        "mirrors": mirrors,
        "per_fold": per_fold,
        "timings": timings,
        "seconds": time.perf_counter() - started,
    }


INTERVAL_ROUNDS = (1, 2, 3)
INTERVAL_MEASURES = ("answers", "rmse", "recall", "found")
COMMON_MEASURES = ("common_rmse", "common_recall")  # in the json, where the per-person data has them


def intervals(merged: dict) -> dict:
    """{strategy: {round: {measure: (difference, low, high)}}}: each strategy minus the static order on the same
    people, paired 90% bootstrap intervals (``elicitation.paired_interval``), rounds 1-3."""
    static = elicitation.elicit.STATIC
    if static not in merged or "per_user" not in merged[static]:
        return {}
    base = merged[static]["per_user"]
    out = {}
    for s, r in merged.items():
        if s in ("n_users", "user_ids", "reference_16_random", static) or "per_user" not in r:
            continue
        out[s] = {
            str(i): {
                m: elicitation.paired_interval(r["per_user"][i], base[i], m)
                for m in INTERVAL_MEASURES + COMMON_MEASURES
                if m.replace("rmse", "sse") in base[i]  # the per-person data this measure needs
            }
            for i in INTERVAL_ROUNDS
            if i < len(base)
        }
    return out


def rounds_table(results: dict) -> list[str]:
    """Markdown: per strategy and round 1-3, answers / RMSE / recall@10 / found, each with its paired 90%
    interval against the static order."""
    r, iv = results["results"], results.get("intervals", {})
    static = elicitation.elicit.STATIC
    lines = [
        "| strategy | round | answers | RMSE | recall@10 | top 10 found | RMSE, common | recall@10, common |",
        "|---|---|---|---|---|---|---|---|",
    ]
    fmt = {"answers": "{:+.2f}", "rmse": "{:+.4f}", "recall": "{:+.3f}", "found": "{:+.3f}"}
    fmt.update({"common_rmse": fmt["rmse"], "common_recall": fmt["recall"]})
    for s in strategies(results):
        for i in INTERVAL_ROUNDS:
            if i >= len(r[s]["rounds"]):
                continue
            h = r[s]["rounds"][i]
            show = lambda x, spec: "n/a" if x is None else format(x, spec)
            values = {
                "answers": show(h["answers"], ".2f"),
                "rmse": show(h["remaining"]["rmse"], ".4f"),
                "recall": show(h["remaining"]["recall@10"], ".3f"),
                "found": show(h.get("found"), ".3f"),
                "common_rmse": show(h["common"]["rmse"], ".4f"),
                "common_recall": show(h["common"]["recall@10"], ".3f"),
            }
            cells = []
            for m in INTERVAL_MEASURES + COMMON_MEASURES:
                d = iv.get(s, {}).get(str(i), {}).get(m)
                extra = (
                    ""
                    if d is None
                    else " (" + fmt[m].format(d[0]) + " [" + fmt[m].format(d[1]) + ", " + fmt[m].format(d[2]) + "])"
                )
                cells.append(values[m] + extra)
            lines.append(f"| {s}{' (static)' if s == static else ''} | {i} | " + " | ".join(cells) + " |")
    ref = r["reference_16_random"]["remaining"]
    common = r["reference_16_random"]["common"]
    show = lambda x, spec: "n/a" if x is None else format(x, spec)
    lines.append(
        f"| 16 random ratings (today) | | 16 | {show(ref['rmse'], '.4f')} | {show(ref['recall@10'], '.3f')} | | "
        f"{show(common['rmse'], '.4f')} | {show(common['recall@10'], '.3f')} |"
    )
    return lines


def mirror_lines(results: dict) -> list[str]:
    """Markdown: each mirror pair's three rounds of cards per strategy, and how many of round 1's both get."""
    lines = []
    for m in results.get("mirrors", []):
        t = m["titles"]
        given = lambda g, t=t: ", ".join(f"{t[str(r)]} {v:g}" for r, v in g)
        lines += [
            f"**{m['name']}** (given: {given(m['given'])}) and its mirror (given: {given(m['mirror_given'])})",
            "",
        ]
        for s, rounds in m["cards"].items():
            lines.append(f"- {s}: {m['shared'][s]} of 10 shared in round 1")
            for i, (a, b) in enumerate(zip(rounds, m["mirror_cards"][s], strict=True), 1):
                lines.append(f"  - round {i}: {'; '.join(t[str(x)] for x in a)}")
                lines.append(f"    - mirror: {'; '.join(t[str(x)] for x in b)}")
        lines.append("")
    return lines


def write(results: dict, out_dir: Path) -> Path:
    """elicitation.json, .md, .png and .html (fragment) into ``out_dir``; returns the .html path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "elicitation.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "elicitation.md").write_text(markdown(results))
    plot(results, out_dir / "elicitation.png")
    if results.get("intervals"):
        plot_intervals(results, out_dir / "elicitation_rounds.png")
    (out_dir / "elicitation.html").write_text(fragment(results))
    return out_dir / "elicitation.html"


def strategies(results: dict) -> list[str]:
    return [k for k in results["results"] if k not in ("n_users", "user_ids", "reference_16_random")]


SHOWN_ROUNDS = (0, 1, 2, 3, 5, 10)
MEASURES = {
    "remaining": "each strategy on the ratings its person has not given yet (the issue's measure)",
    "common": "every strategy on the same targets and candidates: the ratings that no strategy and no "
    "reference draw asked for",
}


def cell(answers: float, m: dict) -> str:
    """answers / RMSE / recall@10 / hate@10; "n/a" where no person had such targets."""
    fmt = lambda value, digits: "n/a" if value is None else f"{value:.{digits}f}"
    return f"{answers:.1f} / {fmt(m['rmse'], 4)} / {fmt(m['recall@10'], 3)} / {fmt(m['hate@10'], 3)}"


def table_rows(results: dict, measure: str) -> list[tuple[str, list[str]]]:
    r, served = results["results"], results["protocol"]["served"]
    rows = []
    for s in strategies(results):
        rounds = r[s]["rounds"]
        shown = [rounds[i] for i in SHOWN_ROUNDS if i < len(rounds)]
        rows.append((s + (" (served)" if s == served else ""), [cell(h["answers"], h[measure]) for h in shown]))
    ref = r["reference_16_random"]
    rows.append(("16 random ratings (today)", [cell(16, ref[measure])] * len(rows[0][1])))
    return rows


def markdown(results: dict) -> str:
    r, p = results["results"], results["protocol"]
    lines = [
        f"Simulated newcomers: {r['n_users']} users, {p['n_folds']}-fold (folds run: {p['folds_run']}), "
        f"{p['ensemble']} tower(s) per fold{' (quick profile)' if p['quick'] else ''}. "
        "Each cell: answers so far / RMSE / recall@10 / hate@10.",
        "",
    ]
    for measure, what in MEASURES.items():
        lines += [
            f"**{measure}**: {what}.",
            "",
            "| strategy | " + " | ".join(f"round {i}" for i in SHOWN_ROUNDS) + " |",
            "|---|" + "---|" * len(SHOWN_ROUNDS),
        ]
        lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in table_rows(results, measure)]
        lines.append("")
    if results.get("intervals"):
        lines += [
            "**Rounds 1-3 against the static order** (remaining ratings; in brackets each strategy minus "
            f"{elicitation.elicit.STATIC} on the same people, with its paired 90% bootstrap interval):",
            "",
            *rounds_table(results),
            "",
        ]
    if results.get("mirrors"):
        lines += ["**Mirror-image profiles' cards** (after 6 answers):", "", *mirror_lines(results)]
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = results["results"]
    panels = [
        ("remaining", "recall@10", "recall@10, remaining ratings"),
        ("remaining", "rmse", "RMSE, remaining ratings"),
        (None, "answers", "answers so far"),
        ("common", "recall@10", "recall@10, common targets"),
        ("common", "rmse", "RMSE, common targets"),
        ("common", "hate@10", "hate@10, common targets"),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for (measure, key, title), ax in zip(panels, axes.ravel(), strict=False):
        for s in strategies(results):
            rounds = r[s]["rounds"]
            ys = [(h[key] if measure is None else h[measure][key]) for h in rounds]
            ys = [np.nan if y is None else y for y in ys]  # no such targets: a gap in the line
            ax.plot(
                range(len(rounds)), ys, marker="o", ms=3, lw=2.5 if s == results["protocol"]["served"] else 1.2, label=s
            )
        ref = r["reference_16_random"]
        level = ref[key] if measure is None else ref[measure][key]
        ax.axhline(
            np.nan if level is None else level,
            color="grey",
            ls="--",
            lw=1,
            label="16 random ratings (today)",
        )
        ax.set_xlabel("round (10 movies shown per round)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(
        f"ask_next strategies on {r['n_users']} simulated newcomers "
        f"({results['protocol']['n_folds']}-fold, {results['dataset']})",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_intervals(results: dict, path: Path) -> None:
    """Rounds 1-3: each strategy minus the static order (paired 90% intervals as error bars), one panel per
    measure (recall@10 and RMSE on remaining and on common targets, answers)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    iv = results["intervals"]
    panels = [
        ("recall", "recall@10 minus static (remaining)"),
        ("rmse", "RMSE minus static (remaining)"),
        ("answers", "answers minus static"),
        ("common_recall", "recall@10 minus static (common)"),
        ("common_rmse", "RMSE minus static (common)"),
        ("found", "eventual top 10 found minus static"),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    names = list(iv)
    for (measure, title), ax in zip(panels, axes.ravel(), strict=False):
        for j, s in enumerate(names):
            xs, ys, lo, hi = [], [], [], []
            for i in INTERVAL_ROUNDS:
                d = iv[s].get(str(i), {}).get(measure)
                if d is not None:
                    xs.append(i + (j - len(names) / 2) * 0.06)
                    ys.append(d[0])
                    lo.append(d[0] - d[1])
                    hi.append(d[2] - d[0])
            if xs:
                lw = 2.5 if s == results["protocol"]["served"] else 1.0
                ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", ms=3, lw=lw, capsize=2, label=s)
        ax.axhline(0, color="grey", lw=1)
        ax.set_xticks(list(INTERVAL_ROUNDS))
        ax.set_xlabel("round (10 movies shown per round)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(
        f"adaptive ask_next against {elicitation.elicit.STATIC}: paired 90% intervals, "
        f"{results['results']['n_users']} simulated newcomers",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def fragment(results: dict) -> str:
    """An HTML section for the evaluation report: the plot and both tables."""
    p = results["protocol"]
    head = "".join(f"<th>round {i}</th>" for i in SHOWN_ROUNDS)
    parts = [
        '<section id="elicitation">\n<h2>What to ask a newcomer (ask_next)</h2>\n'
        f"<p>{html.escape(p['description'])}</p>\n"
        '<img src="elicitation.png" alt="recall@10, RMSE, hate@10 and answers against rounds for each strategy">\n'
    ]
    for measure, what in MEASURES.items():
        body = "".join(
            f"<tr><td>{html.escape(name)}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>\n"
            for name, cells in table_rows(results, measure)
        )
        parts.append(
            f"<h3>{measure}</h3><p>{html.escape(what)}. Each cell: answers / RMSE / recall@10 / hate@10.</p>\n"
            f"<table>\n<tr><th>strategy</th>{head}</tr>\n{body}</table>\n"
        )
    if results.get("intervals"):
        rows = [line.strip("|").split(" | ") for line in rounds_table(results)]
        head_cells = "".join(f"<th>{html.escape(c.strip())}</th>" for c in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in r) + "</tr>\n" for r in rows[2:])
        parts.append(
            f"<h3>Rounds 1-3 against the static order</h3><p>Remaining ratings; in brackets each strategy minus "
            f"{html.escape(elicitation.elicit.STATIC)} on the same people, with its paired 90% bootstrap "
            f"interval.</p>\n"
            '<img src="elicitation_rounds.png" alt="each strategy minus the static order, rounds 1-3, with '
            'paired 90% intervals">\n'
            f"<table>\n<tr>{head_cells}</tr>\n{body}</table>\n"
        )
    if results.get("mirrors"):
        parts.append(
            "<h3>Mirror-image profiles' cards</h3>\n<pre>" + html.escape("\n".join(mirror_lines(results))) + "</pre>\n"
        )
    return "".join(parts) + "</section>\n"
