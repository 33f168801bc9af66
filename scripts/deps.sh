#!/usr/bin/env bash
# Installs (or with --list, prints) the Debian 12 packages that building, running and testing ws-gateway need.
# The one list of build and test dependencies: .ci/run, scripts/dev.sh and scripts/test.sh use it.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libhiredis-dev nlohmann-json3-dev libspdlog-dev libssl-dev libjwt-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev chromium
  redis-server redis-sentinel redis-tools nginx openssl curl ca-certificates python3
)

if [ "${1:-}" = "--list" ]; then
  extra=()
  command -v node >/dev/null || extra+=(nodejs)
  command -v npm >/dev/null || extra+=(npm)
  echo "${PACKAGES[@]}" "${extra[@]}"
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from another Debian-format build that bundles npm; only a machine without
# them gets Debian's.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
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
