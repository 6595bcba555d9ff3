// Captures the exact bytes @socket.io/redis-adapter 8.x publishes for each operation, so the Go
// Redis adapter's codec is tested against the real thing (playground/socketio/redisadapter).
//
//   node node/redis/capture.js [redis://127.0.0.1:PORT] OUT.json
//   (from the repository root: node node/redis/capture.js playground/socketio/redisadapter/testdata/vectors.json)
//
// Without a URL it starts /usr/bin/redis-server on a free 127.0.0.1 port (no persistence) and
// stops it at the end.
// Two socket.io 4.8 servers (A and B) share one redis-server through the adapter; a socket.io-client
// is connected to B (room "room1", data {name:"bob"}, answers "q" with "pong"). A raw subscriber
// on "*" records every message in order, labelled with the step that caused it. Nothing here is
// random except the adapter's uid and request ids, which the Go tests take from the vectors.
import { createServer } from "node:http";
import { writeFileSync } from "node:fs";
import { Server } from "socket.io";
import { io as ioc } from "socket.io-client";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { startRedisServer } from "./server.js";

const argv = process.argv.slice(2);
const out = argv.pop();
let url = argv[0];
if (!out || argv.length > 1) {
  console.error("usage: node capture.js [redis://127.0.0.1:PORT] OUT.json");
  process.exit(2);
}

let redisServer;
if (!url) {
  redisServer = await startRedisServer();
  url = redisServer.url;
}

const clients = [];
async function client() {
  const c = createClient({ url });
  c.on("error", (err) => console.error("redis:", err.message));
  await c.connect();
  clients.push(c);
  return c;
}

async function server(key) {
  const pub = await client();
  const sub = await client();
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub, { key, requestsTimeout: 2000 }) });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  return { io, http, port: http.address().port };
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

let step = "setup";
const vectors = [];
const spy = await client();
await spy.pSubscribe(
  "*",
  (message, channel) => {
    vectors.push({ step, channel: channel.toString(), hex: message.toString("hex") });
  },
  true,
);

const A = await server("socket.io");
const B = await server("socket.io");
B.io.on("connection", (socket) => {
  socket.data = { name: "bob" };
  socket.join("room1");
});
B.io.on("ping", (n, cb) => cb("pong-" + n));
B.io.on("hello", () => {});
A.io.of("/chat");
B.io.of("/chat");

const cl = ioc(`http://127.0.0.1:${B.port}`, { transports: ["websocket"], auth: { token: "t" } });
await new Promise((r) => cl.on("connect", r));
cl.on("ev", () => {});
cl.on("q", (n, cb) => cb("pong"));
await wait(200);

async function run(name, fn) {
  step = name;
  await fn();
  await wait(200);
}

await run("emit", () => A.io.emit("ev", "hi", 1, -2, 1.5, 300, 70000, -200, { a: 1, b: [true, null, false] }));
await run("emit-room", () => A.io.to("room1").emit("ev", "x"));
await run("emit-rooms-except", () => A.io.to(["r1", "r2"]).except("r3").emit("ev"));
await run("emit-volatile", () => A.io.volatile.emit("ev"));
await run("emit-nsp", () => A.io.of("/chat").emit("ev", "y"));
await run("emit-binary", () => A.io.emit("bin", Buffer.from([1, 2, 3]), { f: Buffer.from([4]) }));
await run("emit-long", () => A.io.emit("ev", "é".repeat(40), "x".repeat(300)));
await run("emit-ack", () => A.io.timeout(1000).emitWithAck("q", 1));
await run("fetch", () => A.io.in("room1").fetchSockets());
await run("join", () => A.io.in("room1").socketsJoin("r9"));
await run("leave", () => A.io.in("room1").except("r8").socketsLeave("r9"));
await run("server-side-emit", () => A.io.serverSideEmit("hello", "world"));
await run("server-side-emit-ack", () => A.io.serverSideEmitWithAck("ping", 1));
await run("all-rooms", () => A.io.of("/").adapter.allRooms());
await run("disconnect", () => A.io.in("room1").disconnectSockets(true));

const P = await server("lab");
await run("emit-prefix", () => P.io.to("room1").emit("ev", "p"));

cl.close();
for (const s of [A, B, P]) s.io.close();
await spy.pUnsubscribe();
for (const c of clients) await c.quit().catch(() => {});

const kept = vectors.filter((v) => v.step !== "setup");
writeFileSync(out, JSON.stringify(kept, null, 1) + "\n");
console.log(`${kept.length} messages written to ${out}`);
redisServer?.stop();
