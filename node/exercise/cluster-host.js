// node cluster-host.js PORT FILE.js: the cluster demo's servers on npm socket.io 4.8 with
// @socket.io/redis-adapter 8.x: A, B and C, each running FILE's code with its own global `io`,
// share one redis-server (started here on a free 127.0.0.1 port, /usr/bin/redis-server, no
// persistence, stopped on exit). One HTTP listener on 127.0.0.1:PORT hands each request to the
// server its `?server=` names (A without one), as the lesson's sticky routing does. Prints
// "listening PORT" once it accepts connections. An exception in the student's code is printed
// and the servers keep serving, like the Go sandbox.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { createRequire } from "node:module";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { startRedisServer } from "../redis/server.js";

const [port, file] = process.argv.slice(2);
if (port === undefined || !file) {
  console.error("usage: node cluster-host.js PORT FILE.js");
  process.exit(2);
}
const code = readFileSync(file, "utf8");
process.on("uncaughtException", (err) => console.error("uncaught:", err?.stack ?? err));
process.on("unhandledRejection", (err) => console.error("unhandled rejection:", err?.stack ?? err));

const redisServer = await startRedisServer();
process.on("exit", () => redisServer.stop());
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
const url = redisServer.url;

// Each server: its own pub and sub connections, its own (never listening) HTTP server that the
// front listener passes requests and upgrades to, and its own copy of the program.
const backends = {};
for (const name of ["A", "B", "C"]) {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", (err) => console.error(`redis (${name}):`, err.message));
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub) });
  const context = vm.createContext({ io, console, setTimeout, clearTimeout, setInterval, clearInterval, require: createRequire(import.meta.url) });
  vm.runInContext(code, context, { filename: file });
  backends[name] = http;
}

const pick = (req) => backends[new URL(req.url, "http://x").searchParams.get("server") ?? "A"] ?? backends.A;
const front = createServer((req, res) => pick(req).emit("request", req, res));
front.on("upgrade", (req, socket, head) => pick(req).emit("upgrade", req, socket, head));
front.listen(Number(port), "127.0.0.1", () => console.log(`listening ${front.address().port}`));

