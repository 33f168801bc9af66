#!/usr/bin/env bash
# Quick start: installs what is missing, builds, starts a local Redis when WSGW_REDIS_URL is not
# set, prints a ready dev token and how to connect, then runs the gateway in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --run
scripts/build.sh build-dev -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSGW_BUILD_TESTS=OFF -DWSGW_BUILD_BENCH=OFF >/dev/null

export WSGW_LISTEN=${WSGW_LISTEN:-127.0.0.1:8080}
export WSGW_JWT_SECRET=${WSGW_JWT_SECRET:-dev-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export WSGW_LOG_FORMAT=${WSGW_LOG_FORMAT:-text}
export WSGW_DEMO_ENABLED=${WSGW_DEMO_ENABLED:-true}

redis_pid=""
if [ -z "${WSGW_REDIS_URL:-}" ]; then
  if redis-cli -p 6379 ping >/dev/null 2>&1; then
    echo "Using the Redis already running on 127.0.0.1:6379"
  else
    redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/tmp/ws-gateway-dev-redis.log 2>&1 &
    redis_pid=$!
    for _ in $(seq 50); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
    echo "Started a local Redis on 127.0.0.1:6379 (pid $redis_pid, stopped with the gateway)"
  fi
  export WSGW_REDIS_URL=redis://127.0.0.1:6379/0
fi
trap '[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true' EXIT

token=$(build-dev/wsgw-token --user dev-user --ttl 86400)
cat <<MSG

ws-gateway is starting on ws://$WSGW_LISTEN/ws

  Dev token (user "dev-user", valid 24 h):
    $token

  Demo:      http://$WSGW_LISTEN/demo?token=$token
             then, in another terminal: scripts/simulate.sh dev-user p1
  Connect:   ws://$WSGW_LISTEN/ws?token=$token
  Publish:   redis-cli PUBLISH user_noti:dev-user '{"type":"notification","payload":{"title":"Hello"}}'
             redis-cli PUBLISH project:p1:dev-user '{"type":"project_progress","payload":{"project_id":"p1","status":"CRAWLING","total":10,"done":4,"errors":0,"progress_percent":40}}'
  Health:    curl http://$WSGW_LISTEN/readyz      Metrics: curl http://$WSGW_LISTEN/metrics

MSG
build-dev/ws-gateway "$@"
