#!/usr/bin/env bash
# Browser test of the demo page: Redis and the gateway (demo enabled) on free ports, then
# demo_test.mjs in Debian's headless Chromium through playwright-core.
#   tests/browser/run.sh GATEWAY_BIN TOKEN_BIN [SCREENSHOT]
set -euo pipefail
GATEWAY_BIN=$1
TOKEN_BIN=$2
SCREENSHOT=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
BENCH_DIR="$here/../../bench"
source "$BENCH_DIR/lib.sh"
source "$here/npm_install.sh"
ensure_node_modules "$here"
[ -x /usr/bin/chromium ] || { echo "chromium is not installed (scripts/deps.sh installs it)" >&2; exit 1; }

redis_port=$(free_port); port=$(free_port)
trap 'stop_pid "${GW_PID:-}"; stop_pid "${REDIS_PID:-}"' EXIT
start_redis "$redis_port"
export WSGW_JWT_SECRET=browser-test-secret
WSGW_LISTEN=127.0.0.1:$port WSGW_REDIS_URL=redis://127.0.0.1:$redis_port/0 WSGW_DEMO_ENABLED=true \
  WSGW_LOG_LEVEL=warn "$GATEWAY_BIN" >/tmp/wsgw-browser-gateway.log 2>&1 &
GW_PID=$!
wait_http "$port" /readyz
user=demo-user
BASE_URL=http://127.0.0.1:$port TOKEN=$("$TOKEN_BIN" --user "$user") USER=$user REDIS_PORT=$redis_port \
  SCREENSHOT=$SCREENSHOT node "$here/demo_test.mjs"
