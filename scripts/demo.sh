#!/usr/bin/env bash
# `npm run demo`: on a fresh machine, brings up what LogFlow needs, runs the pipeline, ships sample
# logs through it and searches them. Leaves nothing running. Without Java or Maven (OpenSearch cannot
# be provisioned) it says why in one line and runs with search served from PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/services.sh --without-opensearch

if [ -z "${OPENSEARCH_URL:-}" ]; then
  os_log=$(mktemp)
  if bash scripts/opensearch.sh start 2>&1 | tee "$os_log" >&2; then
    export OPENSEARCH_URL="http://127.0.0.1:${OPENSEARCH_PORT:-9200}"
  else
    echo "==> no OpenSearch ($(tail -n 1 "$os_log" | sed 's/^opensearch: //')): search is served from PostgreSQL"
  fi
  rm -f "$os_log"
fi
export LOGFLOW_PORT="${LOGFLOW_PORT:-8080}"
export LOGFLOW_URL="http://127.0.0.1:$LOGFLOW_PORT"
logflow() { ./cli/logflow "$@"; }

echo "==> logflow migrate"
logflow migrate
project="demo-$(date +%s)"
echo "==> logflow projects create $project"
export LOGFLOW_API_KEY
LOGFLOW_API_KEY=$(logflow projects create "$project" --json | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).api_key')

backend=PostgreSQL; [ -n "${OPENSEARCH_URL:-}" ] && backend="OpenSearch at $OPENSEARCH_URL"
echo "==> logflow up (server + worker) on $LOGFLOW_URL, search from $backend"
# Not through the function: in the background it would run in a subshell, and killing that subshell
# at the end would leave `logflow up` running. cli/logflow execs node, so $! is the server itself.
./cli/logflow up >"${TMPDIR:-/tmp}/logflow-demo.log" 2>&1 &
up_pid=$!
trap 'kill $up_pid 2>/dev/null; wait $up_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fsS "$LOGFLOW_URL/healthz" >/dev/null 2>&1 && break; sleep 0.5; done

echo "==> node scripts/sample-logs.mjs 3000 | logflow ship --service checkout"
node scripts/sample-logs.mjs 3000 | logflow ship --service checkout

# Give the worker a moment to index (OpenSearch refreshes every second). A search that fails while
# the first index starts is only a moment to wait, not the end of the demo.
n=0
for _ in $(seq 1 60); do
  n=$( (logflow search --since 2h --limit 5000 --output ndjson 2>/dev/null || true) | wc -l)
  [ "$n" -ge 3000 ] && break
  sleep 0.5
done
echo "==> $n events searchable"

echo "==> logflow search --level ERROR --since 1h --limit 5"
logflow search --level ERROR --since 1h --limit 5
echo "==> logflow search \"payment failed\" --service checkout --limit 3 --output ndjson"
logflow search "payment failed" --service checkout --limit 3 --output ndjson
echo "==> logflow search --histogram 'level:>=WARN' --since 2h --buckets 12"
logflow search --histogram 'level:>=WARN' --since 2h --buckets 12
echo
echo "The demo project's key (shown once): $LOGFLOW_API_KEY"
echo "Run it yourself: npx logflow up, then  my-app | LOGFLOW_API_KEY=... npx logflow ship --service api"
