#!/usr/bin/env bash
# Makes sure the real services LogFlow talks to are up on this machine: Redis and PostgreSQL (started
# when installed but stopped), and OpenSearch (provisioned and started by scripts/opensearch.sh)
# unless --without-opensearch is given.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! (command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q); then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "services: starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432 -q || { echo "services: PostgreSQL is not answering on 127.0.0.1:5432 (set DATABASE_URL to yours)" >&2; exit 1; }
fi

# redis-cli when it is there; a bare TCP connect otherwise.
redis_up() {
  if command -v redis-cli >/dev/null; then redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1
  else timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379' 2>/dev/null; fi
}

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "services: starting Redis" >&2
    mkdir -p /var/lib/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis
    for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  fi
  redis_up || { echo "services: Redis is not answering on 127.0.0.1:6379 (set REDIS_URL to yours)" >&2; exit 1; }
fi

# An argument, not a LOGFLOW_* variable: logflow refuses settings it does not know.
if [ "${1:-}" != --without-opensearch ]; then
  bash scripts/opensearch.sh start
fi
