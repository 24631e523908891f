"""The evaluation report: reports/eval/index.html with PNG figures made by matplotlib.

Figures: RMSE and NDCG@10 against the number of given ratings k for every
cold-start model, the training curves of Model 1 and Model 2, and the
warm-start toy models' fold RMSEs; then one results table per protocol.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

COLUMNS = [("rmse", "RMSE"), ("mae", "MAE"), ("ndcg@10", "NDCG@10"),
           ("top10_true_mean", "top-10 true mean"), ("bottom10_true_mean", "bottom-10 true mean")]


def _figures(metrics: dict, training: dict, out_dir: Path) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = []
    cold = metrics["cold_start"]
    for key, label, file in [("rmse", "RMSE (lower is better)", "rmse_vs_k.png"),
                             ("ndcg@10", "NDCG@10 (higher is better)", "ndcg_vs_k.png")]:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for name, per_k in cold.items():
            ks = sorted(int(k) for k in per_k)
            style = {"linewidth": 2.6} if name == metrics.get("served_model") else {"linewidth": 1.2, "alpha": 0.85}
            ax.plot(ks, [per_k[str(k)][key] for k in ks], marker="o", label=name, **style)
        ax.set_xscale("log", base=2)
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.set_xlabel("given ratings k (held-out users)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out_dir / file, dpi=110)
        plt.close(fig)
        figures.append((file, f"Cold start: {label} against k"))

    curves = [("Model 1 (movie vectors)", training.get("movie_vectors", {}).get("history", {}), "rmse", "val_rmse")]
    curves += [(f"Model 2 [{name}]", tower.get("history", {}), "rmse", "val_rmse")
               for name, tower in training.get("towers", {}).items()]
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.6), squeeze=False)
    for ax, (title, history, train_key, val_key) in zip(axes[0], curves):
        members = history.get("members") or [history]  # an ensemble: one pair of curves per tower
        for m, member in enumerate(members):
            for key, label, color in [(train_key, "training", "C0"), (val_key, "validation", "C1")]:
                values = member.get(key) or []
                ax.plot(range(1, len(values) + 1), values, color=color, alpha=1.0 if m == 0 else 0.35,
                        label=label if m == 0 else None)
            if member.get("best_epoch"):
                ax.axvline(member["best_epoch"], color="grey", linestyle=":", label="kept" if m == 0 else None)
        if len(members) > 1:
            title += f", {len(members)} towers"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel("RMSE")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "training_curves.png", dpi=110)
    plt.close(fig)
    figures.append(("training_curves.png", "Training curves (Model 2: simulated cold-start users, k = 1..16)"))

    warm = metrics.get("warm_start") or {}
    if warm:
        fig, ax = plt.subplots(figsize=(5.4, 3.6))
        names = list(warm)
        for i, name in enumerate(names):
            folds = warm[name].get("fold_rmse", [])
            ax.scatter([i] * len(folds), folds, alpha=0.6)
            ax.hlines(warm[name]["rmse"], i - 0.3, i + 0.3, color="black")
        ax.set_xticks(range(len(names)), names)
        ax.set_ylabel("fold RMSE")
        ax.set_title("Warm start: toy models, per-fold RMSE (bar = mean)", fontsize=10)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(out_dir / "warm_start.png", dpi=110)
        plt.close(fig)
        figures.append(("warm_start.png", "Warm start: toy models"))
    return figures


def _cold_table(cold: dict, served: str | None) -> str:
    ks = sorted({int(k) for per_k in cold.values() for k in per_k})
    head = "<tr><th>model</th><th>k</th>" + "".join(f"<th>{html.escape(label)}</th>" for _, label in COLUMNS) + "</tr>"
    rows = []
    for k in ks:
        best = {key: (min if key in ("rmse", "mae", "bottom10_true_mean") else max)(
            cold[name][str(k)][key] for name in cold) for key, _ in COLUMNS}
        for name in cold:
            m = cold[name][str(k)]
            cells = "".join(
                f"<td{' class=best' if abs(m[key] - best[key]) < 5e-5 else ''}>{m[key]:.4f}</td>" for key, _ in COLUMNS)
            mark = " class=served" if name == served else ""
            rows.append(f"<tr{mark}><td>{html.escape(name)}</td><td>{k}</td>{cells}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def write_report(metrics: dict, training: dict, out_dir: Path | str) -> Path:
    """Write index.html, the PNGs and metrics.json into ``out_dir``; return the HTML path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = _figures(metrics, training, out_dir)
    served = metrics.get("served_model")
    warm = metrics.get("warm_start") or {}
    warm_rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{w['rmse']:.4f}</td><td>{', '.join(f'{x:.4f}' for x in w.get('fold_rmse', []))}</td>"
        f"<td>{w.get('seconds', 0):.1f}</td></tr>" for n, w in warm.items())
    serving = metrics.get("serving", {})
    experiment = serving.get("experiment") or {}
    subset_rows = "".join(f"<tr><td>{n}</td><td>{m['rmse']:.4f}</td><td>{m['ndcg@10']:.4f}</td></tr>"
                          for n, m in experiment.get("results", {}).items())
    protocol = metrics.get("protocol", {})
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>Screen Genius: model evaluation</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;margin:1em 0;font-size:14px}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}tr.served td{{background:#eef6ff}}td.best{{font-weight:bold}}
img{{max-width:100%;margin:0.5em 0}}code{{background:#f4f4f4;padding:0 3px}}</style></head><body>
<h1>Screen Genius: model evaluation</h1>
<p>Dataset <code>{html.escape(str(metrics.get('dataset')))}</code>, catalog {metrics.get('catalog_size')} movies.
Served model: <b>{html.escape(str(served))}</b>. Generated {html.escape(str(metrics.get('created_at', '')))}.</p>
<h2>Protocol</h2><p>{html.escape(protocol.get('description', ''))}</p>
<p>Held-out users evaluated: {protocol.get('n_users')}; target ratings per draw: {protocol.get('n_targets')};
draws (seeds): {protocol.get('seeds')}.</p>
{''.join(f'<figure><img src="{f}" alt="{html.escape(c)}"><figcaption>{html.escape(c)}</figcaption></figure>' for f, c in figures)}
<h2>Cold start: held-out users, k given ratings</h2>
<p>Mean over draws. Bold: best in its column for that k. Highlighted: the served model.</p>
{_cold_table(metrics['cold_start'], served)}
<h2>Serving with more than 16 ratings</h2>
<p>{html.escape(experiment.get('description', 'not measured (too few held-out users with enough ratings)'))}
Chosen: <b>n_subsets = {serving.get('n_subsets')}</b>.</p>
<table><tr><th>n_subsets</th><th>RMSE</th><th>NDCG@10</th></tr>{subset_rows}</table>
<h2>Warm start: toy models ({html.escape(protocol.get('warm_start', ''))})</h2>
<table><tr><th>model</th><th>mean RMSE</th><th>fold RMSEs</th><th>seconds</th></tr>{warm_rows}</table>
</body></html>
"""
    path = out_dir / "index.html"
    tmp = out_dir / ".index.html.tmp"
    tmp.write_text(body)
    os.replace(tmp, path)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return path
