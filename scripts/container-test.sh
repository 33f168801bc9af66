#!/usr/bin/env bash
# Builds the container image from docker/Dockerfile with rootful podman and proves it works: the
# gateway starts in it, answers /healthz and /readyz, passes its own HEALTHCHECK, and delivers a
# message published on a real Redis to a WebSocket client.
#   scripts/container-test.sh            build and run the image
#   scripts/container-test.sh --probe    only say, in seconds, whether podman can run a container
#                                        here (exit 0), or why not (one line, exit 3)
#
# No container registry is reachable here, so the base image (debian:12-slim) is a root file
# system made with debootstrap from the Debian mirror apt already uses, imported once.
# Two limits of this sandbox shape the podman flags, found with strace:
# - root lacks CAP_SYS_RESOURCE, so no rlimit can be raised; podman itself lowers RLIMIT_NPROC
#   to pid_max before starting the runtime, so containers get nofile and nproc at or below what
#   podman holds (default_ulimits would ask for more and fail with EPERM);
# - crun 1.8 refuses the host's hybrid cgroup layout; runc runs the containers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --container

nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=65536
nproc=$(cat /proc/sys/kernel/pid_max)
hard_nproc=$(ulimit -Hu)
[ "$hard_nproc" != unlimited ] && [ "$hard_nproc" -lt "$nproc" ] && nproc=$hard_nproc
limits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
podman_=(podman --runtime runc)

# Whether this machine can run a container at all: nested in another container, a chroot or a
# CI runner it often cannot (no mount namespace, a read-only /, no cgroup delegation). Found out
# with a tiny image of /bin/true and the libraries it links, imported and run the way the real
# test runs its image, so the answer costs seconds instead of the build that comes first.
probe() {
  local root out
  root=$(mktemp -d)
  mkdir -p "$root/bin"
  cp /bin/true "$root/bin/true"
  for lib in $(ldd /bin/true | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp "$lib" "$root$lib"
  done
  if ! out=$(tar -C "$root" -c . | podman import - localhost/wsgw-probe:latest 2>&1); then
    rm -rf "$root"
    echo "podman cannot import an image here: $(echo "$out" | tail -n 1)"
    return 3
  fi
  rm -rf "$root"
  if ! out=$("${podman_[@]}" run --rm --network host "${limits[@]}" localhost/wsgw-probe:latest /bin/true 2>&1); then
    echo "podman cannot run a container here: $(echo "$out" | tail -n 1)"
    return 3
  fi
  podman rmi -f localhost/wsgw-probe:latest >/dev/null 2>&1 || true
  return 0
}
if [ "${1:-}" = "--probe" ]; then
  probe
  exit $?
fi

mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

if ! podman image exists localhost/debian:12-slim; then
  echo "== base image: debootstrap bookworm from $mirror =="
  rootfs=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  tar -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - debian:12-slim >/dev/null
  rm -rf "$rootfs"
fi


echo "== podman build (docker/Dockerfile) =="
start=$(date +%s)
"${podman_[@]}" build --format docker --pull=never --network host "${limits[@]}" \
  -f docker/Dockerfile -t localhost/ws-gateway:ci . >/tmp/wsgw-container-build.log 2>&1 \
  || { tail -n 40 /tmp/wsgw-container-build.log; echo "container build failed" >&2; exit 1; }
echo "built in $(( $(date +%s) - start )) s; image $("${podman_[@]}" image inspect localhost/ws-gateway:ci --format '{{.Size}}') bytes"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(free_port)
gw_port=$(free_port)
secret=container-test-secret
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "/tmp/wsgw-container-redis-$redis_port.pid" >/dev/null
name=wsgw-ci-$$
cleanup() {
  "${podman_[@]}" rm -f "$name" >/dev/null 2>&1 || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT

"${podman_[@]}" run -d --name "$name" --network host "${limits[@]}" \
  -e WSGW_LISTEN="127.0.0.1:$gw_port" -e WSGW_REDIS_URL="redis://127.0.0.1:$redis_port/0" -e WSGW_JWT_SECRET="$secret" \
  localhost/ws-gateway:ci >/dev/null
ready=false
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$gw_port/readyz" >/dev/null 2>&1 && { ready=true; break; }
  sleep 0.1
done
$ready || { "${podman_[@]}" logs "$name" | tail -n 20; echo "the gateway in the container never became ready" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$gw_port/healthz"; echo
# The image's own HEALTHCHECK (podman runs it on demand; there is no systemd timer here).
"${podman_[@]}" healthcheck run "$name" && echo "HEALTHCHECK: healthy"
[ "$("${podman_[@]}" exec "$name" id -u)" = 10001 ] && echo "runs as uid 10001"

# A delivery through the container: a WebSocket client subscribes as user c1, Redis publishes.
python3 - "$gw_port" "$redis_port" "$secret" <<'PY'
import base64, hashlib, hmac, json, os, socket, struct, subprocess, sys, time
port, redis_port, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "c1", "exp": int(time.time()) + 600}).encode())
token = (head + b"." + body + b"." + b64(hmac.new(secret, head + b"." + body, hashlib.sha256).digest())).decode()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
status = buf.split(b"\r\n", 1)[0]
assert b" 101 " in status, status
buf = buf.split(b"\r\n\r\n", 1)[1]
def frame():
    global buf
    while True:
        if len(buf) >= 2:
            n, at = buf[1] & 0x7F, 2
            if n == 126 and len(buf) >= 4: n, at = struct.unpack(">H", buf[2:4])[0], 4
            if n < 126 or at == 4:
                if len(buf) >= at + n:
                    data, buf = buf[at:at + n], buf[at + n:]
                    return data
        buf += s.recv(65536)
ping = b'{"type":"ping"}'
mask = os.urandom(4)
s.sendall(bytes([0x81, 0x80 | len(ping)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(ping)))
assert json.loads(frame())["type"] == "pong"   # registered: a publish from now on reaches it
subprocess.run(["redis-cli", "-p", redis_port, "PUBLISH", "user_noti:c1",
                '{"type":"notification","payload":{"title":"from the container"}}'], check=True, capture_output=True)
msg = json.loads(frame())
assert msg["type"] == "notification" and msg["payload"]["title"] == "from the container", msg
print("delivery through the container: ok", msg["id"])
PY
echo "container test passed"
