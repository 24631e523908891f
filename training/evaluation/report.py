"""The evaluation report: reports/eval/index.html with PNG figures made by matplotlib.

What it shows, in order: the protocol and how many users it used; the
acceptance targets (``targets``), met or missed, with the numbers; every
metric against k with 90% bootstrap bands; the trade-off between full-catalog recall@10 and the mean
rating of the hits; per-k tables where each cell marks whether the served
model's paired interval against that model excludes zero; list coverage;
the taste-contrast profiles; the training curves; the >16-ratings subsets
experiment; the warm-start toys; and the ask_next simulation when
``python -m training elicit`` has written its fragment into the same folder.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from training.atomic import write_file
from training.evaluation import crossval
from training.evaluation.bootstrap import METRICS

TABLE_METRICS = (
    "rmse",
    "mae",
    "ndcg_rated@10",
    "recall@10",
    "list_ndcg@10",
    "hit_rating",
    "hate@10",
    "bottom_rating",
    "personalization_top",
    "personalization_bottom",
    "chart_share_top",
)


def _k_positions(ks: list[str]) -> tuple[list[int], list[str]]:
    return list(range(len(ks))), ks


def _figures(metrics: dict, training: dict, out_dir: Path) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = []
    cold, intervals, served = metrics["cold_start"], metrics.get("intervals", {}), metrics.get("served_model")
    ks = metrics["protocol"]["ks"]
    names = list(cold)
    fig, axes = plt.subplots(4, 3, figsize=(15, 15))
    for ax, (key, metric) in zip(axes.flat, METRICS.items(), strict=True):
        for i, name in enumerate(names):
            xs = [j for j, k in enumerate(ks) if key in cold[name].get(k, {})]
            if not xs:
                continue
            ys = [cold[name][ks[j]][key] for j in xs]
            lo = [intervals.get(name, {}).get(ks[j], {}).get(key, [y, y])[0] for j, y in zip(xs, ys, strict=True)]
            hi = [intervals.get(name, {}).get(ks[j], {}).get(key, [y, y])[1] for j, y in zip(xs, ys, strict=True)]
            style = {"linewidth": 2.8, "zorder": 5} if name == served else {"linewidth": 1.1, "alpha": 0.85}
            ax.plot(xs, ys, marker="o", markersize=3, label=name, color=f"C{i % 10}", **style)
            ax.fill_between(xs, lo, hi, color=f"C{i % 10}", alpha=0.12)
        ax.set_xticks(range(len(ks)), ks)
        ax.set_title(
            metric.label + (" (higher is better)" if metric.higher_is_better else " (lower is better)"), fontsize=9
        )
        ax.set_xlabel("given ratings k")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_dir / "metrics_vs_k.png", dpi=90)
    plt.close(fig)
    figures.append(("metrics_vs_k.png", "Every metric against k, 90% bootstrap bands (users resampled)"))

    k = "16" if "16" in ks else ks[-1]
    fig, ax = plt.subplots(figsize=(6.6, 4.6))
    for i, name in enumerate(names):
        m = cold[name].get(k, {})
        if "recall@10" not in m:
            continue
        iv = intervals.get(name, {}).get(k, {})
        xerr = [
            [m["recall@10"] - iv.get("recall@10", [m["recall@10"]] * 2)[0]],
            [iv.get("recall@10", [m["recall@10"]] * 2)[1] - m["recall@10"]],
        ]
        yerr = [
            [m["hit_rating"] - iv.get("hit_rating", [m["hit_rating"]] * 2)[0]],
            [iv.get("hit_rating", [m["hit_rating"]] * 2)[1] - m["hit_rating"]],
        ]
        ax.errorbar(
            [m["recall@10"]],
            [m["hit_rating"]],
            xerr=xerr,
            yerr=yerr,
            fmt="o",
            color=f"C{i % 10}",
            markersize=9 if name == served else 5,
            label=name,
        )
    ax.set_xlabel(f"full-catalog recall@10 of liked targets (k = {k})")
    ax.set_ylabel("mean true rating of targets in the top 10")
    ax.set_title("Will they watch it (recall) against will they love it (hit rating)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_dir / "tradeoff.png", dpi=100)
    plt.close(fig)
    figures.append(("tradeoff.png", f"Recall@10 against the mean rating of the hits at k = {k}, 90% intervals"))

    curves = [
        (f"Model 2 [{name}]", tower.get("history", {}), "rmse", "val_rmse")
        for name, tower in training.get("towers", {}).items()
    ]
    if curves:
        fig, axes = plt.subplots(1, len(curves), figsize=(4.6 * len(curves), 3.6), squeeze=False)
        for ax, (title, history, train_key, val_key) in zip(axes[0], curves, strict=True):
            members = history.get("members") or [history]  # an ensemble: one pair of curves per tower
            for m, member in enumerate(members):
                for key, label, color in [(train_key, "training", "C0"), (val_key, "validation", "C1")]:
                    values = member.get(key) or []
                    ax.plot(
                        range(1, len(values) + 1),
                        values,
                        color=color,
                        alpha=1.0 if m == 0 else 0.35,
                        label=label if m == 0 else None,
                    )
            ax.set_title(title + (f", {len(members)} towers" if len(members) > 1 else ""), fontsize=10)
            ax.set_xlabel("epoch")
            ax.set_ylabel("RMSE")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out_dir / "training_curves.png", dpi=100)
        plt.close(fig)
        figures.append(("training_curves.png", "Model 2 training curves (simulated cold-start users, k = 1..16)"))
    return figures


def _cell(value: float, interval, mark: str) -> str:
    lo, hi = interval if interval else (value, value)
    return f"<td class='{mark}'>{value:.4f}<br><small>[{lo:.4f}, {hi:.4f}]</small></td>"


def _cold_tables(metrics: dict) -> str:
    cold, intervals, served = metrics["cold_start"], metrics.get("intervals", {}), metrics.get("served_model")
    parts = []
    for k in metrics["protocol"]["ks"]:
        present = [m for m in cold if k in cold[m]]
        if not present:
            continue
        head = "<tr><th>model</th>" + "".join(f"<th>{html.escape(key)}</th>" for key in TABLE_METRICS) + "</tr>"
        rows = []
        for name in present:
            cells = []
            for key in TABLE_METRICS:
                if key not in cold[name][k]:
                    cells.append("<td>n/a</td>")
                    continue
                mark = ""
                if served is not None and name != served:
                    pair = crossval.paired({"pairs": metrics.get("pairs", {})}, k, key, served, name)
                    if pair and (pair[1] > 0 or pair[2] < 0):
                        served_better = (pair[1] > 0) == METRICS[key].higher_is_better
                        mark = "win" if served_better else "loss"
                cells.append(_cell(cold[name][k][key], intervals.get(name, {}).get(k, {}).get(key), mark))
            cls = " class=served" if name == served else ""
            rows.append(f"<tr{cls}><td>{html.escape(name)}</td>{''.join(cells)}</tr>")
        n = metrics["protocol"]["n_users"].get(k)
        parts.append(f"<h3>k = {html.escape(k)} ({n} users)</h3><table>{head}{''.join(rows)}</table>")
    return "".join(parts)


def _coverage(metrics: dict) -> str:
    ks = metrics["protocol"]["ks"]
    head = "<tr><th>model</th>" + "".join(f"<th>k = {k}</th>" for k in ks) + "</tr>"
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{c[k]['top']} / {c[k]['bottom']}</td>" if k in c else "<td></td>" for k in ks)
        + "</tr>"
        for name, c in metrics.get("coverage", {}).items()
    )
    return f"<table>{head}{rows}</table>"


def _contrast(metrics: dict) -> str:
    entries = metrics.get("taste_contrast") or []
    if not entries:
        return (
            "<p>This dataset has no genres (Netflix Prize data), so no mirror-image profiles can be built; "
            "the section is skipped.</p>"
        )
    parts = []
    for e in entries:
        parts.append(
            f"<h3>{html.escape(e['name'])} (and the mirror)</h3><p>Given: "
            f"{html.escape(', '.join(e['given']))}.</p><table><tr><th>model</th><th>top 10</th>"
            "<th>mirror's top 10</th><th>top overlap</th><th>bottom 10</th><th>mirror's bottom 10</th>"
            "<th>bottom overlap</th></tr>"
        )
        for name, m in e["models"].items():
            cls = " class=served" if name == metrics.get("served_model") else ""
            parts.append(
                f"<tr{cls}><td>{html.escape(name)}</td>"
                + "".join(
                    f"<td class=list>{html.escape('; '.join(m[key]))}</td>" + (f"<td>{m[ov]:.2f}</td>" if ov else "")
                    for key, ov in (
                        ("top", None),
                        ("mirror_top", "top_overlap"),
                        ("bottom", None),
                        ("mirror_bottom", "bottom_overlap"),
                    )
                )
                + "</tr>"
            )
        parts.append("</table>")
    return "".join(parts)


def _targets(metrics: dict) -> str:
    rows = "".join(
        f"<tr class={'met' if t['met'] else 'missed'}><td>{html.escape(t['target'])}</td>"
        f"<td>{'met' if t['met'] else 'missed'}</td><td>{html.escape(t['detail'])}</td></tr>"
        for t in metrics.get("targets", [])
    )
    return f"<table><tr><th>target</th><th></th><th>numbers</th></tr>{rows}</table>"


MARKDOWN_METRICS = (
    "rmse",
    "ndcg_rated@10",
    "recall@10",
    "hit_rating",
    "hate@10",
    "bottom_rating",
    "personalization_top",
    "chart_share_top",
)


def markdown(metrics: dict, ks=("0", "2", "4", "8", "16", "all")) -> str:
    """results.md: the targets and, per k, every model's headline metrics with 90% intervals (for docs/models.md)."""
    cold, intervals, served = metrics["cold_start"], metrics.get("intervals", {}), metrics.get("served_model")
    out = ["| target | met | numbers |", "|---|---|---|"]
    out += [
        f"| {t['target']} | {'yes' if t['met'] else '**no**'} | {t['detail']} |" for t in metrics.get("targets", [])
    ]
    for k in [k for k in ks if k in metrics["protocol"]["ks"]]:
        out += [
            "",
            f"k = {k} ({metrics['protocol']['n_users'].get(k)} users); value [90% interval]; "
            "+/- after a value: the served model's paired interval against that model excludes zero, "
            "in its favour (+) or against it (-)",
            "",
            "| model | " + " | ".join(MARKDOWN_METRICS) + " |",
            "|---" * (len(MARKDOWN_METRICS) + 1) + "|",
        ]
        for name in cold:
            if k not in cold[name]:
                continue
            cells = []
            for key in MARKDOWN_METRICS:
                if key not in cold[name][k]:
                    cells.append("n/a")
                    continue
                lo, hi = intervals.get(name, {}).get(k, {}).get(key, [np.nan, np.nan])
                mark = ""
                if served is not None and name != served:
                    pair = crossval.paired({"pairs": metrics.get("pairs", {})}, k, key, served, name)
                    if pair and (pair[1] > 0 or pair[2] < 0):
                        mark = " +" if (pair[1] > 0) == METRICS[key].higher_is_better else " -"
                cells.append(f"{cold[name][k][key]:.4f} [{lo:.4f}, {hi:.4f}]{mark}")
            label = f"**{name}**" if name == served else name
            out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def write_report(metrics: dict, training: dict, out_dir: Path | str) -> Path:
    """Write index.html, the PNGs and metrics.json into ``out_dir`` (each file atomically); return the HTML path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = _figures(metrics, training, out_dir)
    served = metrics.get("served_model")
    protocol = metrics.get("protocol", {})
    warm = metrics.get("warm_start") or {}
    warm_rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{w['rmse']:.4f}</td>"
        f"<td>{', '.join(f'{x:.4f}' for x in w.get('fold_rmse', []))}</td>"
        f"<td>{w.get('seconds', 0):.1f}</td></tr>"
        for n, w in warm.items()
    )
    serving = metrics.get("serving", {})
    experiment = serving.get("experiment") or {}
    subset_rows = "".join(
        f"<tr><td>{n}</td><td>{m['rmse']:.4f}</td><td>{m['ndcg@10']:.4f}</td></tr>"
        for n, m in experiment.get("results", {}).items()
    )
    elicitation = out_dir / "elicitation.html"
    ranking = metrics.get("ranking", {})
    figure_html = "".join(
        f'<figure><img src="{f}" alt="{html.escape(c)}"><figcaption>{html.escape(c)}</figcaption></figure>'
        for f, c in figures
    )
    elicitation_html = (
        elicitation.read_text()
        if elicitation.exists()
        else "<p>ask_next simulation: run <code>python -m training elicit</code> to add it here.</p>"
    )
    # Backslash-newline inside the template joins lines: the page is the same, the source fits 120 columns.
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>Screen Genius: model evaluation</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;margin:1em 0;font-size:13px}}\
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right;vertical-align:top}}
td:first-child,th:first-child{{text-align:left}}tr.served td{{background:#eef6ff}}td.win{{background:#dff3df}}
td.loss{{background:#f8dede}}td.list{{text-align:left;font-size:12px;max-width:260px}}tr.met td{{background:#eaf7ea}}
tr.missed td{{background:#fbecec}}img{{max-width:100%;margin:0.5em 0}}code{{background:#f4f4f4;padding:0 3px}}\
</style></head><body>
<h1>Screen Genius: model evaluation</h1>
<p>Dataset <code>{html.escape(str(metrics.get("dataset")))}</code>, catalog {metrics.get("catalog_size")} movies.
Served model: <b>{html.escape(str(served))}</b>. Generated {html.escape(str(metrics.get("created_at", "")))}
in {metrics.get("seconds", 0):.0f} s.</p>
<h2>Protocol: {html.escape(str(protocol.get("name")))}</h2><p>{html.escape(protocol.get("description", ""))}</p>
<p>Users per k: {html.escape(json.dumps(protocol.get("n_users", {})))}. \
Intervals: {protocol.get("level", 0.9):.0%} percentile
bootstrap over users ({protocol.get("n_boot")} resamples), every model on the same resample (paired).
Top list = the 10 highest-ranked catalog movies the user did not give; bottom list = the 10 lowest.
Liked = rated &ge; 4, disliked = rated &le; 2. Recall@10 counts liked targets in the top 10 over min(10, liked targets).
Personalization pairs only users of the same fold. EASE and the LightFM hybrid rank without predicting stars
(no RMSE). <code>global_mean</code> gives every movie the same score, so its lists follow catalog order: \
the popularity chart.</p>
<p>List ranking of the served model per fold: {html.escape(json.dumps(ranking.get("fold_params", [])))}</p>
<p>Its top's choice checked on the tower's own validation users, per fold (dropped for the stars alone where \
the recall@10 difference's interval lies below zero): \
{html.escape(json.dumps(ranking.get("fold_tower_checks", [])))}</p>
<p>Ratings past 16, the blend chosen per fold (fold-in ridge, half; null: the tower alone): \
{html.escape(json.dumps(metrics.get("past_sixteen", {}).get("fold_choices", [])))}</p>
<h2>Targets: what the served model is held to</h2>{_targets(metrics)}
{figure_html}
<h2>Cold start: every model at every k</h2>
<p>Value and 90% interval. Green: the served model is better than this model with a paired interval that excludes zero;
red: worse, likewise. Highlighted row: the served model.</p>
{_cold_tables(metrics)}
<h2>Coverage: distinct movies over all users' top / bottom lists</h2>{_coverage(metrics)}
<h2>Taste contrast: mirror-image newcomers</h2>{_contrast(metrics)}
<h2>Serving with more than 16 ratings</h2>
<p>{html.escape(experiment.get("description", "not measured in this protocol"))}
Chosen: <b>n_subsets = {serving.get("n_subsets")}</b>.</p>
<table><tr><th>n_subsets</th><th>RMSE</th><th>NDCG@10</th></tr>{subset_rows}</table>
<h2>Warm start: toy models ({html.escape(protocol.get("warm_start", ""))})</h2>
<table><tr><th>model</th><th>mean RMSE</th><th>fold RMSEs</th><th>seconds</th></tr>{warm_rows}</table>
{elicitation_html}
</body></html>
"""
    for name, data in (
        ("results.md", markdown(metrics).encode()),
        ("metrics.json", (json.dumps(metrics, indent=1, sort_keys=True) + "\n").encode()),
        ("index.html", body.encode()),
    ):
        write_file(out_dir / name, lambda f, data=data: f.write(data))
    return out_dir / "index.html"
