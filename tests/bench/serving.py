"""Serving benchmark: the recommend function (LiteRT) against the answer before and the original TensorFlow way.

``run(out_dir)`` measures, in one run on this machine, for the function as it
is (top and bottom 10 with ``because``, ``ask_next``) and, side by side, for
the answer before (the function's source at ``BASELINE_COMMIT``, "today" below,
served from the same artifact set: a list ranking, no-information stars and
the past-16 blend, which the code before reads in part):
- warm latency over loopback HTTP, 16 ratings (p50, p99), 100 ratings (p50),
  and a visitor's requests (1, 2, ..., 20 ratings: each one a rating longer);
- the same warm latencies on a trained, published set (the 5-tower ensemble,
  its list ranking): $SG_BENCH_PUBLISHED, else ``artifacts/published`` (what
  ``make demo`` publishes), else a ``--quick`` set trained now; both versions,
  interleaved twice;
- cold start: new function process to the first 200, artifacts read from the
  storage emulator;
- peak RSS of the function after 10,000 requests at concurrency 32;
- throughput with 2 workers (10,000 requests at concurrency 32);
- the same model and inputs served the original way: TensorFlow + Keras,
  ``predict`` once per movie (as the seed did) and one batched ``predict``:
  latency, cold start (new process to first answer) and peak RSS; with ratios.
Writes ``serving.json`` and ``serving.md`` into out_dir; returns the results.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path

import numpy as np

from tests.fixtures.artifacts import OFFSET, build_artifact_set, keras_tower, movie_id, movie_vectors
from tests.fixtures.function_server import FunctionServer
from tests.fixtures.load import run_load
from tests.fixtures.storage import BUCKET, running_emulator
from training.publish import publish

CATALOG_SIZE = 970  # the seed's catalog
PER_MOVIE_SAMPLE = 100  # per-movie predict calls timed; the total is scaled to CATALOG_SIZE
RATINGS_MANY = [{"movie_id": movie_id(r * 37 % CATALOG_SIZE), "rating": 0.5 + (r % 10) * 0.5} for r in range(100)]
RATINGS = RATINGS_MANY[:16]
SKIPPED = [movie_id(r) for r in range(2, 40, 3)]  # a few "not seen" answers, as the site sends them
BODY = {"ratings": RATINGS, "skipped": SKIPPED}
# 100 ratings: every rating counts, so the answer reads all of them
BODY_100 = {"ratings": RATINGS_MANY}
# a visitor rating one movie after another: 1, 2, ..., 20 ratings, each request one rating longer
VISITOR = [{"ratings": RATINGS_MANY[:n], "skipped": SKIPPED} for n in range(1, 21)]
# a list ranking like the served one: the bottom by the chance of meeting and disliking a movie
RANKING = {
    "gamma_top": 4.0,
    "popularity_top": 0.0,
    "chart_top": 0.5,
    "gamma_bottom": 0.0,
    "popularity_bottom": 0.0,
    "chart_bottom": 0.0,
    "hate_popularity": 1.0,
    "hate_chart": 0.5,
    "hate_below": 2.5,
    "hate_scale": 0.5,
}
# The function before the lists' rework: lists by the ranking score, reasons by the raw leave-one-out effect.
BASELINE_COMMIT = "2c730f3"
# On a trained set, the function before explain_tower.tflite (it reads the same set and explains with the
# leave-one-out batch). Older code cannot read a set exported now (2c730f3 and 569309d lack the served
# tree_change ask_next); ``FunctionServer`` runs each version with its own screen_genius.
PUBLISHED_BASELINE_COMMIT = "03aef75"
TARGETS = {
    "warm_p50_ms": 2.0,
    "warm_p99_ms": 5.0,
    "cold_start_s": 1.0,
    "peak_rss_mb": 150.0,
    "throughput_rps_2_workers": 500.0,
}


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q))


def rss_mb(pid: int) -> dict:
    """Peak (VmHWM) and current (VmRSS) resident memory of pid and its children, MB."""
    pids = [pid] + [
        int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ]
    out = {}
    for p in pids:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{p}/status").read_text().splitlines() if ":" in line)
        out[p] = {k: int(fields[k].split()[0]) / 1024 for k in ("VmHWM", "VmRSS")}
    return out


def cold_start(env: dict, log: Path, source: Path | None = None) -> float:
    """Seconds from spawning the function to its first 200 answer to a recommend request."""
    server = FunctionServer(env, log, source=source)
    started = time.perf_counter()
    server.start(wait=False)
    try:
        while True:
            try:
                status = server.request("POST", "/api/recommend", BODY, timeout=10)[0]
                if status == 200:
                    return time.perf_counter() - started
                raise RuntimeError(f"cold start answered {status}:\n{server.log()}")
            except OSError:
                time.sleep(0.002)
    finally:
        server.stop()


def warm_latencies(server: FunctionServer, n: int, bodies: list[dict] | None = None) -> list[float]:
    """Sequential requests on one keep-alive connection, cycling through ``bodies`` (default: BODY); seconds each."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    payloads = [json.dumps(b) for b in bodies or [BODY]]
    out = []
    for i in range(n):
        started = time.perf_counter()
        conn.request(
            "POST", "/api/recommend", body=payloads[i % len(payloads)], headers={"Content-Type": "application/json"}
        )
        resp = conn.getresponse()
        resp.read()
        out.append(time.perf_counter() - started)
        assert resp.status == 200
    conn.close()
    return out


ORIGINAL_WAY = textwrap.dedent(
    """
    # The original serving path: import TensorFlow, load the Keras model, call predict.
    import json, resource, sys, time
    started = time.perf_counter()
    import numpy as np
    import keras
    model = keras.saving.load_model(sys.argv[1])
    x = np.load(sys.argv[2])
    mode = sys.argv[3]
    if mode == "per_movie":
        n = int(sys.argv[4])
        first = model.predict([x, np.array([[0]])], verbose=0)
    else:
        first = model.predict(x, verbose=0)
    cold = time.perf_counter() - started
    times = []
    if mode == "per_movie":  # one predict call per movie, as the seed did (a sample of n calls)
        t = time.perf_counter()
        for j in range(n):
            model.predict([x, np.array([[j]])], verbose=0)
        times.append(time.perf_counter() - t)
    else:
        for _ in range(30):
            t = time.perf_counter()
            model.predict(x, verbose=0)
            times.append(time.perf_counter() - t)
    print(json.dumps({"cold_start_s": cold, "times_s": times,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """
)


def per_movie_model(tower):
    """The seed's shape: (user matrix, one movie row) -> one rating, with the tower's weights."""
    import keras

    kernel, bias = tower.get_layer("ratings").get_weights()
    user_vector = keras.Model(tower.input, tower.get_layer("user_vector").output)
    matrix = keras.Input((16, 16))
    movie = keras.Input((1,), dtype="int32")
    u = user_vector(matrix)
    w = keras.layers.Flatten()(keras.layers.Embedding(CATALOG_SIZE, 16, weights=[kernel.T], trainable=False)(movie))
    b = keras.layers.Flatten()(keras.layers.Embedding(CATALOG_SIZE, 1, weights=[bias[:, None]], trainable=False)(movie))
    rating = keras.layers.Add()([keras.layers.Dot(axes=1)([u, w]), b])
    return keras.Model([matrix, movie], rating)


def original_way(work: Path) -> dict:
    from screen_genius import features

    tower = keras_tower(CATALOG_SIZE, 0)
    rows = np.array([r * 37 % CATALOG_SIZE for r in range(16)])
    ratings = np.array([r["rating"] for r in RATINGS], dtype=np.float32)
    x = features.request_inputs(movie_vectors(CATALOG_SIZE, 0), rows, ratings, OFFSET)
    np.save(work / "x.npy", x)
    tower.save(work / "tower.keras")
    per_movie = per_movie_model(tower)
    per_movie.save(work / "per_movie.keras")
    # Same numbers both ways, so the comparison is of serving, not of models.
    j = 123
    np.testing.assert_allclose(
        per_movie.predict([x, np.array([[j]])], verbose=0)[0, 0], tower.predict(x, verbose=0)[0, j], atol=1e-4
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

    def child(*args):
        out = subprocess.run(
            [sys.executable, "-c", ORIGINAL_WAY, *map(str, args)], capture_output=True, text=True, env=env, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    batched = child(work / "tower.keras", work / "x.npy", "batched")
    per = child(work / "per_movie.keras", work / "x.npy", "per_movie", PER_MOVIE_SAMPLE)
    return {
        "batched_predict": {
            "latency_p50_ms": 1000 * statistics.median(batched["times_s"]),
            "cold_start_s": batched["cold_start_s"],
            "peak_rss_mb": batched["peak_rss_mb"],
        },
        "predict_per_movie": {
            # measured on PER_MOVIE_SAMPLE calls, scaled to the whole catalog to keep the run short
            "latency_ms": 1000 * per["times_s"][0] * CATALOG_SIZE / PER_MOVIE_SAMPLE,
            "measured_calls": PER_MOVIE_SAMPLE,
            "calls": CATALOG_SIZE,
            "cold_start_s": per["cold_start_s"],
            "peak_rss_mb": per["peak_rss_mb"],
        },
        "note": "TF numbers are the model call alone, in-process, no HTTP; the LiteRT numbers include HTTP.",
    }


def baseline_source(work: Path, commit: str = BASELINE_COMMIT) -> Path:
    """main.py of the function at ``commit``, extracted with ``git archive`` (today's answer)."""
    repo = Path(__file__).resolve().parents[2]
    archive = subprocess.run(["git", "archive", commit, "functions"], cwd=repo, capture_output=True, check=True)
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(work)], input=archive.stdout, check=True)
    return work / "functions" / "main.py"


def measure_function(env: dict, work: Path, name: str, source: Path | None, colds: list[float]) -> dict:
    """Latency, memory and throughput of one version of the function (cold starts measured by the caller)."""
    with FunctionServer(env, work / f"{name}-warm.log", source=source) as server:
        answer = server.request("POST", "/api/recommend", BODY)[2]
        warm_latencies(server, 200)  # load and settle
        lat = warm_latencies(server, 3000)
        lat_100 = warm_latencies(server, 500, [BODY_100])
        lat_visitor = warm_latencies(server, 2000, VISITOR)
        load = run_load(server.port, BODY, total=10_000, concurrency=32)
        assert not load["errors"] and load["statuses"] == {200: 10_000}, load["statuses"]
        memory = rss_mb(server.proc.pid)
    with FunctionServer({**env, "WORKERS": "2"}, work / f"{name}-two.log", source=source) as server:
        run_load(server.port, BODY, total=1000, concurrency=32)  # both workers load
        two = run_load(server.port, BODY, total=10_000, concurrency=32)
        assert not two["errors"] and two["statuses"] == {200: 10_000}, two["statuses"]
    return {
        "answer_fields": sorted(answer),
        "warm_p50_ms": 1000 * percentile(lat, 50),
        "warm_p99_ms": 1000 * percentile(lat, 99),
        "warm_p50_ms_100_ratings": 1000 * percentile(lat_100, 50),
        "warm_p50_ms_visitor_1_to_20": 1000 * percentile(lat_visitor, 50),
        "warm_p99_ms_visitor_1_to_20": 1000 * percentile(lat_visitor, 99),
        "cold_start_s": statistics.median(colds),
        "cold_start_all_s": colds,
        "peak_rss_mb": max(v["VmHWM"] for v in memory.values()),
        "rss_by_process_mb": {str(k): v for k, v in memory.items()},
        "load_test_1_worker_rps": 10_000 / load["wall_s"],
        "throughput_rps_2_workers": 10_000 / two["wall_s"],
    }


PUBLISHED_ENV = "SG_BENCH_PUBLISHED"


def published_set(work: Path) -> tuple[str, str]:
    """(store, what it is): a trained, published artifact set to time the answer on."""
    if os.environ.get(PUBLISHED_ENV):
        return os.environ[PUBLISHED_ENV], f"${PUBLISHED_ENV}"
    demo = Path(__file__).resolve().parents[2] / "artifacts" / "published"
    if (demo / "latest.json").exists():
        return str(demo), "artifacts/published (make demo)"
    from tests.e2e import harness

    return harness.artifacts_uri(work), "a --quick set trained for the bench"


def published_bodies(store: str) -> tuple[list[dict], list[dict]]:
    """16-rating and 100-rating request bodies (the bench's pattern) on a published set's own catalog."""
    latest = json.loads((Path(store) / "latest.json").read_text())
    catalog = json.loads((Path(store) / "versions" / latest["version"] / "catalog.json").read_text())
    ids = [m["movie_id"] for m in catalog]
    ratings = [{"movie_id": ids[r * 37 % len(ids)], "rating": 0.5 + (r % 10) * 0.5} for r in range(100)]
    return [{"ratings": ratings[:16], "skipped": [ids[r] for r in range(2, 40, 3)]}], [{"ratings": ratings}]


def measure_published(work: Path) -> dict:
    """Warm latency over HTTP of the function and of its code at PUBLISHED_BASELINE_COMMIT on a trained set,
    interleaved twice: p50 / p99 per version."""
    store, what = published_set(work / "published")
    today_source = baseline_source(work / "published-baseline", PUBLISHED_BASELINE_COMMIT)
    body_16, body_100 = published_bodies(store)
    lat: dict = {"function": ([], []), "today": ([], [])}
    for round_ in range(2):
        for name, source in (("function", None), ("today", today_source)):
            env = {"MODEL_URI": store}
            with FunctionServer(env, work / f"{name}-published{round_}.log", source=source) as server:
                warm_latencies(server, 200, body_16)
                lat[name][0].extend(warm_latencies(server, 1500, body_16))
                lat[name][1].extend(warm_latencies(server, 200, body_100))
    out: dict = {"set": what, "baseline": f"functions/ at {PUBLISHED_BASELINE_COMMIT}"}
    for name, (l16, l100) in lat.items():
        out[name] = {
            "warm_p50_ms": 1000 * percentile(l16, 50),
            "warm_p99_ms": 1000 * percentile(l16, 99),
            "warm_p50_ms_100_ratings": 1000 * percentile(l100, 50),
        }
    return out


def run(out_dir: Path) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp, running_emulator() as emu:
        work = Path(tmp)
        build_artifact_set(
            work / "v1",
            version="v1",
            catalog_size=CATALOG_SIZE,
            n_subsets=4,
            ranking=RANKING,
            no_information=True,
            past_sixteen={"reg": 16.0, "half": 16.0},
        )
        uri = f"gs://{BUCKET}/bench"
        publish(work / "v1", uri)
        env = {"MODEL_URI": uri, "STORAGE_EMULATOR_HOST": emu.host}
        today_source = baseline_source(work / "baseline")
        colds = {"function": [], "today": []}
        for i in range(5):  # interleaved, so load from elsewhere on the machine falls on both alike
            colds["function"].append(cold_start(env, work / f"function-cold{i}.log"))
            colds["today"].append(cold_start(env, work / f"today-cold{i}.log", today_source))
        function = measure_function(env, work, "function", None, colds["function"])
        published = measure_published(work)
        today = measure_function(env, work, "today", today_source, colds["today"])
        original = original_way(work)

    warm_p50 = function["warm_p50_ms"]
    results = {
        "date": date.today().isoformat(),
        "machine": f"{os.cpu_count()}-core {platform.machine()}, Python {platform.python_version()}",
        "catalog_size": CATALOG_SIZE,
        "litert_function": function,
        "today_answer": {
            **today,
            "source": f"functions/ at {BASELINE_COMMIT} (before the lists' rework: the same fields)",
        },
        "original_tensorflow": original,
        "published_set": published,
        "targets": TARGETS,
    }
    f, o = results["litert_function"], original
    results["ratios"] = {
        "latency_per_movie_predict_over_function_p50": o["predict_per_movie"]["latency_ms"] / warm_p50,
        "latency_batched_predict_over_function_p50": o["batched_predict"]["latency_p50_ms"] / warm_p50,
        "cold_start_tf_over_function": o["batched_predict"]["cold_start_s"] / f["cold_start_s"],
        "rss_tf_over_function": o["batched_predict"]["peak_rss_mb"] / f["peak_rss_mb"],
        "cold_start_function_over_today": f["cold_start_s"] / today["cold_start_s"],
        "warm_p50_function_over_today": f["warm_p50_ms"] / today["warm_p50_ms"],
        "visitor_p50_function_over_today": f["warm_p50_ms_visitor_1_to_20"] / today["warm_p50_ms_visitor_1_to_20"],
        "peak_rss_function_over_today": f["peak_rss_mb"] / today["peak_rss_mb"],
    }
    results["meets_targets"] = {
        "warm_p50_ms": f["warm_p50_ms"] <= TARGETS["warm_p50_ms"],
        "warm_p99_ms": f["warm_p99_ms"] <= TARGETS["warm_p99_ms"],
        "published_warm_p50_ms": published["function"]["warm_p50_ms"] <= TARGETS["warm_p50_ms"],
        "published_warm_p99_ms": published["function"]["warm_p99_ms"] <= TARGETS["warm_p99_ms"],
        "cold_start_s": f["cold_start_s"] <= TARGETS["cold_start_s"],
        "peak_rss_mb": f["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
        "throughput_rps_2_workers": f["throughput_rps_2_workers"] >= TARGETS["throughput_rps_2_workers"],
        "cold_start_within_10pct_of_today": f["cold_start_s"] <= 1.1 * today["cold_start_s"],
        "peak_rss_within_10pct_of_today": f["peak_rss_mb"] <= 1.1 * today["peak_rss_mb"],
    }
    (out_dir / "serving.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "serving.md").write_text(markdown(results))
    return results


def table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def markdown(r: dict) -> str:
    f, t, o, x, ok = r["litert_function"], r["today_answer"], r["original_tensorflow"], r["ratios"], r["meets_targets"]
    pub = r["published_set"]
    mark = lambda *keys: "; ".join("yes" if ok[k] else "**no**" for k in keys)
    per, batched = o["predict_per_movie"], o["batched_predict"]
    function_rows = [
        [
            "warm p50 over loopback HTTP",
            f"{f['warm_p50_ms']:.2f} ms",
            f"{t['warm_p50_ms']:.2f} ms",
            "<= 2 ms",
            mark("warm_p50_ms"),
        ],
        [
            "warm p99 over loopback HTTP",
            f"{f['warm_p99_ms']:.2f} ms",
            f"{t['warm_p99_ms']:.2f} ms",
            "<= 5 ms",
            mark("warm_p99_ms"),
        ],
        [
            "warm p50, a visitor's requests (1, 2, ..., 20 ratings, one more each time)",
            f"{f['warm_p50_ms_visitor_1_to_20']:.2f} ms",
            f"{t['warm_p50_ms_visitor_1_to_20']:.2f} ms",
            "",
            "",
        ],
        [
            "warm p99, a visitor's requests",
            f"{f['warm_p99_ms_visitor_1_to_20']:.2f} ms",
            f"{t['warm_p99_ms_visitor_1_to_20']:.2f} ms",
            "",
            "",
        ],
        [
            "warm p50, 100 ratings",
            f"{f['warm_p50_ms_100_ratings']:.2f} ms",
            f"{t['warm_p50_ms_100_ratings']:.2f} ms",
            "",
            "",
        ],
        [
            f"warm p50 over loopback HTTP, trained set ({pub['set']}; today's: {pub['baseline']})",
            f"{pub['function']['warm_p50_ms']:.2f} ms",
            f"{pub['today']['warm_p50_ms']:.2f} ms",
            "<= 2 ms",
            mark("published_warm_p50_ms"),
        ],
        [
            "warm p99 over loopback HTTP, trained set",
            f"{pub['function']['warm_p99_ms']:.2f} ms",
            f"{pub['today']['warm_p99_ms']:.2f} ms",
            "<= 5 ms",
            mark("published_warm_p99_ms"),
        ],
        [
            "warm p50, 100 ratings, trained set",
            f"{pub['function']['warm_p50_ms_100_ratings']:.2f} ms",
            f"{pub['today']['warm_p50_ms_100_ratings']:.2f} ms",
            "",
            "",
        ],
        [
            "cold start, new process to first 200 (artifacts from the storage emulator; median of 5, interleaved)",
            f"{f['cold_start_s']:.2f} s",
            f"{t['cold_start_s']:.2f} s",
            "<= 1.0 s; within 10% of today",
            mark("cold_start_s", "cold_start_within_10pct_of_today"),
        ],
        [
            "peak RSS after 10,000 requests",
            f"{f['peak_rss_mb']:.0f} MB",
            f"{t['peak_rss_mb']:.0f} MB",
            "<= 150 MB; within 10% of today",
            mark("peak_rss_mb", "peak_rss_within_10pct_of_today"),
        ],
        [
            "throughput, 2 workers, concurrency 32",
            f"{f['throughput_rps_2_workers']:.0f} req/s",
            f"{t['throughput_rps_2_workers']:.0f} req/s",
            ">= 500 req/s",
            mark("throughput_rps_2_workers"),
        ],
        [
            "throughput, 1 worker, concurrency 32",
            f"{f['load_test_1_worker_rps']:.0f} req/s",
            f"{t['load_test_1_worker_rps']:.0f} req/s",
            "",
            "",
        ],
    ]
    original_rows = [
        [
            f"`predict` once per movie ({per['calls']} calls; {per['measured_calls']} timed, scaled)",
            f"{per['latency_ms']:.0f} ms",
            f"{per['cold_start_s']:.2f} s",
            f"{per['peak_rss_mb']:.0f} MB",
        ],
        [
            "one batched `predict`",
            f"{batched['latency_p50_ms']:.1f} ms",
            f"{batched['cold_start_s']:.2f} s",
            f"{batched['peak_rss_mb']:.0f} MB",
        ],
    ]
    return f"""# Serving benchmark ({r["date"]}, {r["machine"]})

Catalog of {r["catalog_size"]} movies, 16 ratings and {len(SKIPPED)} skipped ids per request. The function answers
top and bottom 10 with `because` and `ask_next`; the answer before ({t["source"]}) is measured beside it in the
same run, on the same artifact set.

{
        table(
            ["Recommend function (LiteRT, functions-framework)", "full answer", "today's answer", "target", "met"],
            function_rows,
        )
    }

{
        table(
            ["The original way (TensorFlow + Keras, in-process, no HTTP)", "latency", "cold start", "peak RSS"],
            original_rows,
        )
    }

Ratios (original / function): latency {x["latency_per_movie_predict_over_function_p50"]:.0f}x (per-movie predict)
and {x["latency_batched_predict_over_function_p50"]:.0f}x (batched predict) against the function's warm p50;
cold start {x["cold_start_tf_over_function"]:.1f}x; peak RSS {x["rss_tf_over_function"]:.1f}x. Function / today's
answer: warm p50 {x["warm_p50_function_over_today"]:.2f}x, a visitor's requests
{x["visitor_p50_function_over_today"]:.2f}x, cold start {x["cold_start_function_over_today"]:.2f}x, peak RSS
{x["peak_rss_function_over_today"]:.2f}x.
The load generator shares the machine's cores with the function.
"""


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1] if len(sys.argv) > 1 else "reports/bench")), indent=2))
