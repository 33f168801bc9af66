#!/usr/bin/env bash
# A rolling restart as a browser lives it: Chromium's own EventSource on GET /events through
# nginx (docker/nginx.conf, TLS) in front of two gateways and one Redis; 400 numbered
# notifications at about 200/s; the instance holding the stream is drained mid-stream. The
# browser reconnects by itself with Last-Event-ID, and the page must have seen exactly 1..400.
#   tests/browser/sse_rolling.sh GATEWAY_BIN TOKEN_BIN
set -euo pipefail
GATEWAY_BIN=$1
TOKEN_BIN=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BENCH_DIR="$root/bench"
source "$BENCH_DIR/lib.sh"
source "$here/npm_install.sh"
ensure_node_modules "$here"

work=$(mktemp -d)
chmod 755 "$work"  # nginx workers run unprivileged when started as root
redis_port=$(free_port); gw1=$(free_port); gw2=$(free_port); edge=$(free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do stop_pid "$p"; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  stop_pid "${REDIS_PID:-}"
  rm -rf "$work"
}
trap cleanup EXIT
start_redis "$redis_port"
export WSGW_JWT_SECRET=browser-test-secret
for port in "$gw1" "$gw2"; do
  WSGW_LISTEN=127.0.0.1:$port WSGW_REDIS_URL=redis://127.0.0.1:$redis_port/0 WSGW_LOG_LEVEL=warn \
    WSGW_TRUSTED_PROXIES=127.0.0.1 WSGW_SHUTDOWN_GRACE_MS=300 "$GATEWAY_BIN" >"$work/gw-$port.log" 2>&1 &
  pids+=($!)
  wait_http "$port" /readyz
done

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
sed -e "s|server gateway1:8080|server 127.0.0.1:$gw1|" -e "s|server gateway2:8080|server 127.0.0.1:$gw2|" \
    -e "s|listen 443 ssl;|listen 127.0.0.1:$edge ssl;|" \
    -e "s|/etc/nginx/certs/tls.crt|$work/cert.pem|" -e "s|/etc/nginx/certs/tls.key|$work/key.pem|" \
    -e "s|worker_processes auto;|worker_processes 1;\npid $work/nginx.pid;\nerror_log $work/nginx-error.log warn;|" \
    -e "s|^http {|http {\n    access_log off;\n    client_body_temp_path $work/body;\n    proxy_temp_path $work/proxy;|" \
    "$root/docker/nginx.conf" >"$work/nginx.conf"
nginx -p "$work" -c "$work/nginx.conf"
for _ in $(seq 100); do curl -fsSk "https://127.0.0.1:$edge/healthz" >/dev/null 2>&1 && break; sleep 0.05; done

user=sse-browser
EDGE_URL=https://127.0.0.1:$edge TOKEN=$("$TOKEN_BIN" --user "$user") USER=$user REDIS_PORT=$redis_port \
  GW_PORTS="$gw1 $gw2" GW_PIDS="${pids[*]}" node "$here/sse_rolling_test.mjs"
