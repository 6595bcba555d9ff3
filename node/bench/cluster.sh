#!/usr/bin/env bash
# Cross-process fan-out (issue 14, item 7): two servers share one redis-server; the fan-out
# receivers are spread over both and the sender is on the first, so half the deliveries cross
# processes through Redis. Node: two node/bench/server.js with @socket.io/redis-adapter
# (REDIS_URL); Socket Lab: two `socketlab bench-server -redis URL`. One loadgen run measures both.
# Servers and Redis on core SERVER_CPU (1), the generator on GEN_CPU (0).
#   node/bench/cluster.sh [loadgen flags...]      e.g. -rounds 3 -receivers 1000 -mode closed
# Env: SOCKETLAB=path to a built binary (default: go build), REDIS_PORT (6391), NODE_PORTS
#      ("3111 3112"), GO_PORTS ("3113 3114"), GO_HUB=0 to measure Node only.
set -euo pipefail
NAME=cluster
redis_port=${REDIS_PORT:-6391}
read -r -a node_ports <<<"${NODE_PORTS:-3111 3112}"
read -r -a go_ports <<<"${GO_PORTS:-3113 3114}"
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null || { echo "cluster: needs redis-server (apt-get install redis-server)" >&2; exit 1; }

echo "cluster: redis-server $(redis-server --version | grep -o 'v=[0-9.]*') on core $server_cpu, port $redis_port" >&2
taskset -c "$server_cpu" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$tmp" >"$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "Ready to accept" "$tmp/redis.log" && break; sleep 0.1; done
redis=redis://127.0.0.1:$redis_port

target() { # name port...: name=ws://127.0.0.1:P1/socket.io/+ws://127.0.0.1:P2/socket.io/
	local name=$1 urls=() p
	shift
	for p in "$@"; do urls+=("ws://127.0.0.1:$p/socket.io/"); done
	(IFS=+; echo "$name=${urls[*]}")
}

targets=()
echo "cluster: two node socket.io 4.8.4 + @socket.io/redis-adapter on core $server_cpu" >&2
for p in "${node_ports[@]}"; do
	REDIS_URL=$redis taskset -c "$server_cpu" node --expose-gc "$root/node/bench/server.js" "$p" >"$tmp/node-$p.log" 2>&1 &
	pids+=($!)
done
for p in "${node_ports[@]}"; do wait_stats "$p"; done
targets+=(-target "$(target node×2 "${node_ports[@]}")")
if [[ ${GO_HUB:-1} == 1 ]]; then
	echo "cluster: two socketlab bench-server -redis on core $server_cpu" >&2
	for p in "${go_ports[@]}"; do
		taskset -c "$server_cpu" "$bin" bench-server -addr "127.0.0.1:$p" -redis "$redis" >"$tmp/go-$p.log" 2>&1 &
		pids+=($!)
	done
	for p in "${go_ports[@]}"; do wait_stats "$p"; done
	targets+=(-target "$(target go×2 "${go_ports[@]}")")
fi

echo "cluster: generator on core $gen_cpu" >&2
taskset -c "$gen_cpu" "$bin" loadgen "${targets[@]}" -scenario fanout "$@"
