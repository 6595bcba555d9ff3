#!/usr/bin/env bash
# Measure Node's socket.io 4.8.4 (and, with GO_HUB=1, the Go hub) with the Go load generator.
# Each server runs alone, pinned to core 1; the generator is pinned to core 0.
#   node/bench/compare.sh [loadgen flags...]      e.g. -json, -duration 10s, -scenario fanout
# Env: SOCKETLAB=path to a built binary (default: go build from the repo root), NODE_PORT (3101),
#      GO_PORT (3102), GO_HUB=1 to measure `socketlab bench-server` too, SERVER_CPU (1), GEN_CPU (0).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
node_port=${NODE_PORT:-3101}
go_port=${GO_PORT:-3102}
server_cpu=${SERVER_CPU:-1}
gen_cpu=${GEN_CPU:-0}
tmp=$(mktemp -d)
server_pid=
cleanup() {
	if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

bin=${SOCKETLAB:-}
if [[ -z $bin ]]; then
	(cd "$root" && go build -o "$tmp/socketlab" .)
	bin=$tmp/socketlab
fi

# wait_stats PORT: until GET /stats answers (10 s at most).
wait_stats() {
	for _ in $(seq 100); do
		if curl -fsS "http://127.0.0.1:$1/stats" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	echo "compare: no /stats on port $1" >&2
	return 1
}

stop_server() {
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
}

ulimit -n "$(ulimit -Hn)"

echo "== node socket.io 4.8.4 (core $server_cpu), generator on core $gen_cpu" >&2
taskset -c "$server_cpu" node --expose-gc "$root/node/bench/server.js" "$node_port" >"$tmp/node.log" 2>&1 &
server_pid=$!
wait_stats "$node_port"
taskset -c "$gen_cpu" "$bin" loadgen -target "node=ws://127.0.0.1:$node_port/socket.io/" "$@"
stop_server

if [[ ${GO_HUB:-0} == 1 ]]; then
	echo "== go hub (core $server_cpu), generator on core $gen_cpu" >&2
	taskset -c "$server_cpu" "$bin" bench-server -addr "127.0.0.1:$go_port" >"$tmp/go.log" 2>&1 &
	server_pid=$!
	wait_stats "$go_port"
	taskset -c "$gen_cpu" "$bin" loadgen -target "go=ws://127.0.0.1:$go_port/socket.io/" "$@"
	stop_server
fi
