# Shared by bench/run.sh and bench/smoke.sh: start and stop Redis and the gateways under test.
# shellcheck shell=bash

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {  # wait_http PORT PATH
  for _ in $(seq 200); do
    curl -fsS "http://127.0.0.1:$1$2" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "nothing answered on port $1" >&2
  return 1
}

start_redis() {  # start_redis PORT -> REDIS_PID
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "redis-server did not start" >&2
  return 1
}

# start_gateway KIND PORT REDIS_PORT [THREADS] -> GW_PID.  KIND: ws-gateway | node | go
start_gateway() {
  local kind=$1 port=$2 redis_port=$3 threads=${4:-2}
  export WSGW_JWT_SECRET=bench-secret
  case "$kind" in
    ws-gateway)
      WSGW_LISTEN=127.0.0.1:$port WSGW_REDIS_URL=redis://127.0.0.1:$redis_port/0 WSGW_THREADS=$threads \
        WSGW_LOG_LEVEL=${WSGW_LOG_LEVEL:-warn} WSGW_MAX_CONNECTIONS_PER_ADDRESS=100000 WSGW_MAX_CONNECTIONS_PER_USER=100000 \
        WSGW_SEND_QUEUE_MAX_MESSAGES=100000 WSGW_SEND_QUEUE_MAX_BYTES=104857600 \
        "$GATEWAY_BIN" >/tmp/wsgw-bench-gateway.log 2>&1 &
      GW_PID=$!
      wait_http "$port" /readyz ;;
    node)
      WSGW_LISTEN=127.0.0.1:$port WSGW_REDIS_URL=redis://127.0.0.1:$redis_port/0 \
        node "$BENCH_DIR/peers/node/gateway.js" >/tmp/wsgw-bench-node.log 2>&1 &
      GW_PID=$!
      wait_http "$port" /readyz
      sleep 0.5 ;;  # its PSUBSCRIBE has no readiness signal
    go)
      WSGW_LISTEN=127.0.0.1:$port WSGW_REDIS_URL=redis://127.0.0.1:$redis_port/0 \
        "$BENCH_DIR/peers/go/peer-go" >/tmp/wsgw-bench-go.log 2>&1 &
      GW_PID=$!
      wait_http "$port" /readyz
      sleep 0.5 ;;  # the same
  esac
}

# bench_run LABEL KIND THREADS -- generator args...: one gateway, one generator run, one JSON
# line appended to $RAW and printed (a failed run is recorded as such). Needs BENCH, RAW,
# redis_port, and GATEWAY_BIN for KIND ws-gateway.
bench_run() {
  local label=$1 kind=$2 threads=$3; shift 4
  local port out; port=$(free_port)
  start_gateway "$kind" "$port" "$redis_port" "$threads"
  if ! out=$("$BENCH" --port "$port" --redis-port "$redis_port" --secret bench-secret --gateway-pid "$GW_PID" --label "$label" "$@"); then
    out="{\"label\":\"$label\",\"failed\":true,\"args\":\"$*\"}"
  else
    # A run that lost deliveries measured something else (CPU per delivery over what arrived):
    # it is kept, marked failed, and left out of every summary.
    out=$(ARGS="$*" python3 -c 'import json, os, sys
r = json.loads(sys.stdin.read())
if r.get("lost"):
    lost, expected = r["lost"], r["expected"]
    r.update(failed=True, args=os.environ["ARGS"], failure=f"lost {lost} of {expected} deliveries")
print(json.dumps(r, separators=(",", ":")))' <<<"$out")
  fi
  echo "$out" | tee -a "$RAW"
  stop_pid "$GW_PID"; GW_PID=""
}

stop_pid() { [ -n "${1:-}" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }

# bench_prepare RAW_FILE: what a side-by-side run of this tree needs: the packages, a Release
# build, Redis on a free port (stopped on exit with any gateway left), and an empty RAW_FILE.
# Sets GATEWAY_BIN, BENCH, RAW and redis_port. Run from the repository's root.
bench_prepare() {
  scripts/deps.sh
  scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DWSGW_BUILD_TESTS=OFF >/dev/null
  GATEWAY_BIN=$PWD/build-release/ws-gateway
  BENCH=$PWD/build-release/bench/ws-gateway-bench
  ulimit -n "$(ulimit -Hn)"
  mkdir -p bench/results
  RAW=$1
  : > "$RAW"
  redis_port=$(free_port)
  start_redis "$redis_port"
  trap 'stop_pid "${GW_PID:-}"; stop_pid "$REDIS_PID"' EXIT
}
