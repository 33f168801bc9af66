# Sourced by the browser tests: installs playwright-core into tests/browser/node_modules once,
# and when npm cannot, says what failed and how to fix it instead of failing without a word.
ensure_node_modules() {
  local dir=$1 out registry
  [ -d "$dir/node_modules/playwright-core" ] && return 0
  if ! command -v npm >/dev/null; then
    echo "browser test: npm is not installed (scripts/deps.sh installs it)" >&2
    return 1
  fi
  if ! out=$(cd "$dir" && npm install --no-audit --no-fund 2>&1); then
    registry=$(npm config get registry 2>/dev/null || echo "unknown")
    echo "browser test: 'npm install' in $dir failed (registry: $registry):" >&2
    echo "$out" | grep -E 'npm (ERR|error)' | head -n 6 >&2 || echo "$out" | tail -n 8 >&2
    echo "Fix: make that registry reachable, point npm at one that is (npm config set registry URL)," \
         "or copy a node_modules with playwright-core into $dir." >&2
    return 1
  fi
}
