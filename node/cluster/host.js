// The Node server of the cluster scenario: npm socket.io 4.8 with @socket.io/redis-adapter 8.x
// (classic pub/sub) running program.js, as `socketlab run -redis URL -redis-prefix KEY FILE` runs it.
//
//   node node/cluster/host.js PORT REDIS_URL [KEY [FILE.js]]   (PORT 0: a free port; KEY default "socket.io")
//
// Env COOKIE=NAME: engine.io's cookie option ({ name: NAME }), as socketlab's -cookie NAME.
// Prints "listening http://127.0.0.1:PORT" once the adapter is subscribed and the server listens.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";

const [portArg, redisURL, key = "socket.io", file = fileURLToPath(new URL("program.js", import.meta.url))] =
  process.argv.slice(2);
const port = Number(portArg);
if (!redisURL || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: node host.js PORT REDIS_URL [KEY [FILE.js]]");
  process.exit(2);
}

const pub = createClient({ url: redisURL });
const sub = pub.duplicate();
let ready = false;
for (const c of [pub, sub]) {
  c.on("error", (err) => {
    console.error(`redis: ${err.message}`);
    if (!ready) process.exit(1); // no broker at start: fail at once (later, node-redis reconnects)
  });
}
await Promise.all([pub.connect(), sub.connect()]);
ready = true;

const http = createServer((req, res) => res.writeHead(404).end("not found\n"));
const io = new Server(http, {
  adapter: createAdapter(pub, sub, { key }),
  ...(process.env.COOKIE ? { cookie: { name: process.env.COOKIE } } : {}),
});
globalThis.io = io;
vm.runInThisContext(readFileSync(file, "utf8"), { filename: file });

http.listen(port, "127.0.0.1", () => {
  console.log(`listening http://127.0.0.1:${http.address().port}`);
});

function shutdown() {
  io.close(() => Promise.allSettled([pub.quit(), sub.quit()]).then(() => process.exit(0)));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
