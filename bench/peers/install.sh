#!/usr/bin/env bash
# Installs the comparison peers' dependencies from the npm registry (Node.js from Debian).
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { apt-get update && apt-get install -y --no-install-recommends nodejs npm; }
(cd node && npm install --no-audit --no-fund --silent)
