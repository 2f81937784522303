#!/usr/bin/env bash
# Provisions and runs a single-node OpenSearch for tests, the demo and CI, the same way everywhere.
# No Debian package provides OpenSearch, so we take the official integration-test distribution from
# Maven Central (it has no security plugin: plain HTTP on 127.0.0.1, which is what a local stack wants).
#
#   scripts/opensearch.sh start    # download once (cached), start if not already answering, wait for green/yellow
#   scripts/opensearch.sh stop
#   scripts/opensearch.sh status   # exit 0 when it answers
#
# OPENSEARCH_PORT (9200), OPENSEARCH_VERSION, OPENSEARCH_HEAP (512m), OPENSEARCH_USER (logflow, when
# run as root), OPENSEARCH_JAVA_HOME and OPENSEARCH_CACHE_DIR (~/.cache/logflow: the unpacked
# distribution, and data per port) change what it does. When it cannot start OpenSearch it exits 1
# and its last line on stderr says why.
set -euo pipefail

VERSION="${OPENSEARCH_VERSION:-2.19.4}"
PORT="${OPENSEARCH_PORT:-9200}"
HEAP="${OPENSEARCH_HEAP:-512m}"
CACHE="${OPENSEARCH_CACHE_DIR:-$HOME/.cache/logflow}"
HOME_DIR="$CACHE/opensearch-$VERSION"
DATA_DIR="$CACHE/opensearch-data-$PORT"
URL="http://127.0.0.1:$PORT"
RUN_AS="${OPENSEARCH_USER:-logflow}"

say() { echo "opensearch: $*" >&2; }

answers() { curl -fsS -m 2 "$URL/_cluster/health" >/dev/null 2>&1; }

# The Java to run OpenSearch with, or nothing when there is none.
java_home() {
  if [ -n "${OPENSEARCH_JAVA_HOME:-}" ]; then echo "$OPENSEARCH_JAVA_HOME"; return; fi
  for d in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-arm64 /usr/lib/jvm/openjdk-17; do
    [ -x "$d/bin/java" ] && { echo "$d"; return; }
  done
  if command -v java >/dev/null; then dirname "$(dirname "$(readlink -f "$(command -v java)")")"; fi
}

# The last lines of what OpenSearch wrote, then the reason: the caller reads the last line.
fail() {
  if [ -d "$DATA_DIR/logs" ]; then tail -n 20 "$DATA_DIR/logs/console.log" "$DATA_DIR/logs/"*.log 2>/dev/null | tail -n 40 >&2 || true; fi
  say "$*"
  return 1
}

provision() {
  [ -x "$HOME_DIR/bin/opensearch" ] && return
  mkdir -p "$CACHE"
  local zip="$HOME/.m2/repository/org/opensearch/distribution/integ-test-zip/opensearch/$VERSION/opensearch-$VERSION.zip"
  if [ ! -f "$zip" ]; then
    command -v mvn >/dev/null || { say "OpenSearch $VERSION is not downloaded yet and Maven (mvn) is not installed to fetch it: install maven, or set OPENSEARCH_URL to a running OpenSearch"; return 1; }
    say "downloading OpenSearch $VERSION from Maven Central (once; cached in ~/.m2)"
    mvn -q -B dependency:get -Dtransitive=false \
      "-Dartifact=org.opensearch.distribution.integ-test-zip:opensearch:$VERSION:zip" >&2 \
      || { say "Maven could not download OpenSearch $VERSION from Maven Central (offline? see the lines above)"; return 1; }
  fi
  command -v unzip >/dev/null || { say "unzip is not installed, and is needed once to unpack OpenSearch: install unzip"; return 1; }
  local tmp; tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
  (cd "$tmp" && unzip -q "$zip") || { rm -rf "$tmp"; say "could not unpack $zip (a partial download? delete it and try again)"; return 1; }
  mv "$tmp/opensearch-$VERSION" "$HOME_DIR"
  rmdir "$tmp"
}

start() {
  if answers; then say "already running at $URL"; return 0; fi
  local java; java=$(java_home)
  [ -n "$java" ] && [ -x "$java/bin/java" ] || { say "no Java found${java:+ at $java}: OpenSearch needs Java 17 (install openjdk-17-jre-headless, or set OPENSEARCH_JAVA_HOME)"; return 1; }
  provision
  mkdir -p "$DATA_DIR/data" "$DATA_DIR/logs"
  local launcher=()
  if [ "$(id -u)" = 0 ]; then
    # OpenSearch refuses to run as root.
    id "$RUN_AS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS"
    chown -R "$RUN_AS" "$HOME_DIR" "$DATA_DIR"
    # The unpacked tree must be reachable by that user.
    chmod o+x "$CACHE" "$(dirname "$CACHE")" "$HOME" 2>/dev/null || true
    launcher=(setpriv --reuid="$RUN_AS" --regid="$(id -g "$RUN_AS")" --init-groups)
  fi
  say "starting OpenSearch $VERSION on $URL (heap $HEAP, data in $DATA_DIR)"
  rm -f "$DATA_DIR/pid"
  # The daemon's output goes to its own log: holding our caller's stdout open would keep a pipe
  # reading it (a CI runner, `| tail`) waiting for ever.
  OPENSEARCH_JAVA_HOME="$java" OPENSEARCH_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP" \
    "${launcher[@]}" "$HOME_DIR/bin/opensearch" -d -p "$DATA_DIR/pid" \
    -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 -Ehttp.port="$PORT" \
    -Epath.data="$DATA_DIR/data" -Epath.logs="$DATA_DIR/logs" \
    -Ecluster.name=logflow-local -Ecluster.routing.allocation.disk.threshold_enabled=false \
    -Eaction.auto_create_index=true </dev/null >>"$DATA_DIR/logs/console.log" 2>&1 \
    || { fail "OpenSearch would not start (exit $?); its log is above and in $DATA_DIR/logs"; return 1; }
  for _ in $(seq 1 180); do
    if curl -fsS -m 2 "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; then
      say "ready at $URL"; return 0
    fi
    # Gone while starting (a bad setting, no memory, the port taken): say so now, not after 180 s.
    if [ -f "$DATA_DIR/pid" ] && ! kill -0 "$(cat "$DATA_DIR/pid")" 2>/dev/null; then
      fail "OpenSearch exited while starting; its log is above and in $DATA_DIR/logs"; return 1
    fi
    sleep 1
  done
  fail "OpenSearch did not answer on $URL within 180 s; its log is above and in $DATA_DIR/logs"
}

# Returns once the process is gone, not only its HTTP port: until then it still writes its data
# directory and holds its lock, so a start (or removing the directory) right after would meet it.
stop() {
  if [ -f "$DATA_DIR/pid" ]; then
    local pid; pid=$(cat "$DATA_DIR/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && say "OpenSearch (pid $pid) did not stop within 60 s"
    rm -f "$DATA_DIR/pid"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
