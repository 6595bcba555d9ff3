#!/usr/bin/env bash
# Measure Node's socket.io 4.8.4 (and, with GO_HUB=1, the Go hub) with the Go load generator.
# The servers are pinned to core 1, the generator to core 0; one loadgen run measures them in turn.
#   node/bench/compare.sh [loadgen flags...]      e.g. -json, -duration 10s, -scenario fanout
# Env: SOCKETLAB=path to a built binary (default: go build from the repo root), NODE_PORT (3101),
#      GO_PORT (3102), GO_HUB=1 to measure `socketlab bench-server` too, SERVER_CPU (1), GEN_CPU (0).
set -euo pipefail
NAME=compare
node_port=${NODE_PORT:-3101}
go_port=${GO_PORT:-3102}
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

targets=(-target "node=ws://127.0.0.1:$node_port/socket.io/")
echo "compare: node socket.io 4.8.4 on core $server_cpu" >&2
taskset -c "$server_cpu" node --expose-gc "$root/node/bench/server.js" "$node_port" >"$tmp/node.log" 2>&1 &
pids+=($!)
wait_stats "$node_port"
if [[ ${GO_HUB:-0} == 1 ]]; then
	echo "compare: go hub (socketlab bench-server) on core $server_cpu" >&2
	taskset -c "$server_cpu" "$bin" bench-server -addr "127.0.0.1:$go_port" >"$tmp/go.log" 2>&1 &
	pids+=($!)
	wait_stats "$go_port"
	targets+=(-target "go=ws://127.0.0.1:$go_port/socket.io/")
fi

# One run, one table: the targets are measured one after the other (an idle server costs ~nothing).
echo "compare: generator on core $gen_cpu" >&2
taskset -c "$gen_cpu" "$bin" loadgen "${targets[@]}" "$@"
