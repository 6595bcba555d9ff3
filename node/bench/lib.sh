# Shared by compare.sh and cluster.sh (sourced): root, tmp, the pids killed on exit, the
# socketlab binary (SOCKETLAB, or built into tmp), wait_stats and the server/generator cores.
# NAME (set before sourcing) prefixes messages.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
server_cpu=${SERVER_CPU:-1}
gen_cpu=${GEN_CPU:-0}
tmp=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
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
	echo "$NAME: no /stats on port $1" >&2
	return 1
}

ulimit -n "$(ulimit -Hn)"
