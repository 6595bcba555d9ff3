#!/usr/bin/env bash
# make bench: every performance figure Socket Lab reports (docs/benchmarks.md).
# Needs an otherwise idle machine; installs wrk from Debian if it is missing.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

echo "== machine"
nproc; grep -m1 "model name" /proc/cpuinfo || true; go version; uptime

echo "== Go benchmarks, every one of the module (docs/benchmarks.md lists them; in Chromium, with"
echo "   SOCKETLAB_CHROMIUM or chromium on PATH: live reload save to page, three demos' start-up)"
go test -run='^$' -bench=. -benchmem -benchtime=2s ./...

echo "== lesson pages per second over loopback with keep-alive (server on core 0, wrk on core 1)"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
go build -o "$tmp/socketlab" .
taskset -c 0 "$tmp/socketlab" -addr 127.0.0.1:8181 -log-level warn >"$tmp/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -fsS http://127.0.0.1:8181/healthz >/dev/null 2>&1 && break; sleep 0.1; done
slug=$(curl -fsS http://127.0.0.1:8181/ | grep -o 'href="/lessons/[^"]*"' | head -1 | sed 's/href="\/lessons\///; s/"//')
taskset -c 1 wrk -t1 -c32 -d10s "http://127.0.0.1:8181/lessons/$slug"

echo "== hub vs Node socket.io 4.8 (servers on core 1, load generator on core 0)"
(cd node && [ -d node_modules ] || npm ci --no-audit --no-fund)
# Three rounds, node and go in turn per scenario: the ratios are read per round, then the median.
SOCKETLAB="$tmp/socketlab" GO_HUB=1 node/bench/compare.sh -rounds 3 "$@"

echo "== cross-process fan-out over one redis-server: two node socket.io 4.8 + @socket.io/redis-adapter"
echo "   vs two socketlab bench-server -redis (receivers spread over both, sender on the first)"
command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
SOCKETLAB="$tmp/socketlab" node/bench/cluster.sh -rounds 3 -receivers 1000,5000
