#!/usr/bin/env bash
# Installs the comparison peers: the Node.js one's dependencies from the npm registry (Node.js
# from Debian), and the Go one built offline from Debian's Go and Go library packages.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { apt-get update && apt-get install -y --no-install-recommends nodejs npm; }
(cd node && npm install --no-audit --no-fund --silent)
go_packages="golang-go golang-github-gorilla-websocket-dev golang-github-gomodule-redigo-dev golang-github-golang-jwt-jwt-dev"
# shellcheck disable=SC2086
dpkg -s $go_packages >/dev/null 2>&1 || { apt-get update && apt-get install -y --no-install-recommends $go_packages; }
(cd go && GOPROXY=off GOFLAGS=-mod=mod GOCACHE="${GOCACHE:-/tmp/wsgw-go-cache}" go build -o peer-go .)
