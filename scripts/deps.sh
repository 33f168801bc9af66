#!/usr/bin/env bash
# Installs (or with --list, prints) the Debian 12 packages ws-gateway needs.
#   scripts/deps.sh          everything: build, run, tests, fuzzing, browser test, benchmarks
#   scripts/deps.sh --run    only what building and running the gateway with a local Redis needs
#   scripts/deps.sh --list   print the full list (for apt-get install in CI)
#   scripts/deps.sh --container   only what scripts/container-test.sh needs (podman and friends)
# The one list of dependencies: .ci/run, scripts/dev.sh and scripts/test.sh use it.
set -euo pipefail

RUN_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libhiredis-dev nlohmann-json3-dev libspdlog-dev libssl-dev libjwt-dev
  zlib1g-dev
  redis-server redis-tools curl ca-certificates
)
TEST_PACKAGES=(
  libgtest-dev libgmock-dev libbenchmark-dev libdeflate-dev clang libclang-rt-14-dev chromium
  redis-sentinel nginx openssl python3 python3-websockets
)
# The container image is built and run with rootful podman (scripts/container-test.sh).
CONTAINER_PACKAGES=(podman runc debootstrap uidmap slirp4netns fuse-overlayfs)

# Node.js may come from another Debian-format build that bundles npm; only a machine without
# them gets Debian's.
node_packages() {
  command -v node >/dev/null || echo nodejs
  command -v npm >/dev/null || echo npm
}

case "${1:-}" in
  --list)
    echo "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${CONTAINER_PACKAGES[@]}" $(node_packages)
    exit 0 ;;
  --run) wanted=("${RUN_PACKAGES[@]}") ;;
  --container) wanted=("${CONTAINER_PACKAGES[@]}" redis-server redis-tools curl python3) ;;
  *) wanted=("${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${CONTAINER_PACKAGES[@]}" $(node_packages)) ;;
esac

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "ws-gateway: missing packages: ${missing[*]}; install them as root (apt-get install -y ...)" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
