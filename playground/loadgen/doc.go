// Package loadgen is Socket Lab's load generator: Engine.IO v4 + Socket.IO v5 clients over raw
// WebSocket (gorilla/websocket) that measure one or more servers in the same run, on loopback only.
// It is a leaf (stdlib + gorilla/websocket); main runs it as `socketlab loadgen`.
//
// # Scenarios
//
//   - idle: RSS growth per idle connection: GET /stats?gc=1, open IdleConns connections (Engine.IO
//     open + Socket.IO CONNECT), wait until the server counts them, GET /stats?gc=1 again.
//     Runs first by default so the baseline is a fresh server's.
//   - fanout: N receivers join one room; one sender (not in it) emits
//     fanout(room, {"s":SEQ,"t":NANOS}) and the server emits msg(payload) to the room. "closed" keeps
//     InFlight messages in flight (the next goes out when the slowest receiver got one); "paced"
//     sends Rate deliveries per second (Rate/N messages per second). Reports deliveries/s
//     (deliveries ÷ first send → last delivery), latency p50/p99 (receive − send, same clock) and
//     lost deliveries (per receiver, sent − received, once no delivery came for Grace).
//   - echo: Clients connections, each a closed loop of echo(id, pad) with an ack; round trips/s, p50/p99.
//   - connect: Conns connections opened with Concurrency at once, all kept until the last is up;
//     connections/s and the p50/p99 of one open (dial + upgrade + open packet + CONNECT reply).
//
// # Bench server contract
//
// A server measured by loadgen (node/bench/server.js, `socketlab bench-server`) listens on
// 127.0.0.1, serves Socket.IO at /socket.io/ (WebSocket; polling too) and, on namespaces "/" and
// "/ns", handles:
//
//	join(room, ack?)     socket joins room, then ack()          421["join","r"]        → 431[]
//	leave(room, ack?)    socket leaves room, then ack()
//	fanout(room, p)      room "": socket.broadcast.emit("msg", p); else socket.to(room).emit("msg", p)
//	                     42["fanout","r",{"s":1,"t":2}] → 42["msg",{"s":1,"t":2}] to the others in r
//	echo(...args, ack)   ack(...args), arguments relayed as received   4212["echo",12,"x"] → 4312[12,"x"]
//
// and answers GET /stats (same host and port) with JSON:
//
//	{"rss": <resident set size, bytes>, "connections": <open Engine.IO sessions>,
//	 "goroutines": <optional>, "runtime": <optional description>}
//
// (socketlab bench-server adds Go's own accounting, in bytes: "heap_alloc" live heap,
// "heap_inuse", "heap_idle" kept but unused, "stack_inuse", "sys" obtained from the OS.)
//
// With ?gc=1 the server first collects garbage if it can (Node started with --expose-gc: gc();
// Go: runtime.GC()). "rss" is required; "connections" lets loadgen wait for the server to see
// every idle connection and to drain between scenarios (without it loadgen waits one second).
//
// # Bounds
//
// Targets must be ws://127.x.x.x:PORT/...; at most MaxConns connections per scenario and
// MaxDuration per phase; RLIMIT_NOFILE is raised to its hard limit (an error if still too low);
// connections are spread over source addresses 127.0.0.1..Sources so ports don't run out;
// a closed fan-out that stalls (a lost message) gives up after 5 s; waiting for late deliveries
// stops after 30 s. Pin the generator with taskset (e.g. `taskset -c 0 socketlab loadgen ...`):
// the Go runtime sizes GOMAXPROCS to the affinity mask; -cpu overrides it.
package loadgen
