#!/usr/bin/env bash
# `make demo`: train on the bundled dataset, publish to a local bucket directory,
# then serve the function and the website until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
MODEL_URI=${MODEL_URI:-artifacts/published}
FUNCTION_PORT=${FUNCTION_PORT:-8080}
SITE_PORT=${SITE_PORT:-5173}
API="http://127.0.0.1:${FUNCTION_PORT}"

echo "== train and publish (python -m training run --dataset movielens-sample --to ${MODEL_URI})"
"$PY" -m training run --dataset movielens-sample --to "$MODEL_URI"
"$PY" -m training report --data data/movielens-sample --out reports/eda

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped"
}
trap stop INT TERM EXIT

for port in "$FUNCTION_PORT" "$SITE_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: port $port is in use; stop what uses it or run: make demo FUNCTION_PORT=... SITE_PORT=..." >&2
    exit 2
  fi
done

# Each server in its own process group, so Ctrl-C stops it and its children.
setsid make --no-print-directory serve MODEL_URI="$MODEL_URI" FUNCTION_PORT="$FUNCTION_PORT" \
  ALLOWED_ORIGINS="http://127.0.0.1:${SITE_PORT},http://localhost:${SITE_PORT}" > reports/function.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sf "$API/api/health" > /dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "$API/api/health" > /dev/null || { echo "error: the function did not start; see reports/function.log" >&2; exit 1; }

setsid make --no-print-directory site SITE_PORT="$SITE_PORT" API_URL="$API" > reports/site.log 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:${SITE_PORT}/" > /dev/null 2>&1 && break
  sleep 0.2
done

example=$("$PY" - "$MODEL_URI" <<'PY'
import json, sys
from pathlib import Path
root = Path(sys.argv[1])
version = json.loads((root / "latest.json").read_text())["version"]
catalog = json.loads((root / "versions" / version / "catalog.json").read_text())
picks = [(catalog[i]["movie_id"], r) for i, r in zip((0, 1, 2, 5, 8), (5, 4.5, 2, 4, 1))]
print(json.dumps({"ratings": [{"movie_id": m, "rating": r} for m, r in picks]}))
PY
)

cat <<MSG

Screen Genius is running.
  Website:   http://127.0.0.1:${SITE_PORT}/
  Function:  ${API}/api/health   (log: reports/function.log)
  Reports:   reports/eda/index.html, reports/eval/index.html

Try the function with curl:
  curl -s -X POST ${API}/api/recommend -H 'Content-Type: application/json' \\
    -d '${example}'

Ctrl-C stops both.
MSG
wait
