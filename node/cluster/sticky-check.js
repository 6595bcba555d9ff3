// Checks a deployment behind a proxy (docs/deploy.md): npm socket.io-clients, all through the
// proxy, most on HTTP long-polling, whose every GET and POST must reach the process holding the
// session; admins connected to each backend directly (program.js) say where the clients landed
// and broadcast.
//
//   node node/cluster/sticky-check.js PROXY_URL BACKEND_URL1 BACKEND_URL2 ...
//
// stdout: one JSON line per check {"check", "want", "got"}, then {"checks": N, "failed": M} (or
// {"error": ...}); exit status 1 on any failure. Clients, in turn: long-polling keeping cookies
// (withCredentials: the client's cookie jar sends the backend's Engine.IO cookie back),
// long-polling without (the proxy routes by the sid query parameter), polling then WebSocket (the
// default), WebSocket only.
import { io } from "socket.io-client";
import { STEP_MS, checker, until } from "./lib.js";

const [proxy, ...backends] = process.argv.slice(2);
if (!proxy || backends.length < 2) {
  console.error("usage: node sticky-check.js PROXY_URL BACKEND_URL1 BACKEND_URL2 ...");
  process.exit(2);
}
const CLIENTS = 8;
const { check, end } = checker(60000);

const opts = { forceNew: true, reconnection: false };
const names = Array.from({ length: CLIENTS }, (_, i) => `C${i + 1}`);
const clients = names.map((name, i) => {
  const c = { name, got: new Set(), errors: [] };
  const transport = [
    { transports: ["polling"], upgrade: false, withCredentials: true },
    { transports: ["polling"], upgrade: false },
    {}, // socket.io-client's default: polling, then the upgrade to WebSocket (by sid, same backend)
    { transports: ["websocket"] },
  ][i % 4];
  c.socket = io(proxy, { ...opts, ...transport, auth: { name, rooms: [] } });
  c.socket.on("m", (tag) => c.got.add(tag));
  c.socket.on("connect_error", (err) => c.errors.push("connect_error " + err.message));
  c.socket.on("disconnect", (reason) => c.errors.push("disconnect " + reason));
  return c;
});
const admins = backends.map((url, i) => io(`${url}/admin`, { ...opts, transports: ["websocket"], auth: { server: `B${i + 1}` } }));
async function op(i, kind, tag) {
  const res = await admins[i].timeout(STEP_MS).emitWithAck("op", kind, tag);
  if (res.error !== undefined) throw new Error(`B${i + 1} ${kind}: ${res.error}`);
  return res.ok;
}

await until("every client connected through the proxy", () => clients.every((c) => c.socket.connected) && admins.every((a) => a.connected))
  .catch((err) => {
    console.log(JSON.stringify({ error: err.message, clients: clients.map((c) => [c.name, c.socket.connected, ...c.errors]) }));
    process.exit(1);
  });

// Where did they land? Every client on exactly one backend, and every backend has some.
const where = [];
for (let i = 0; i < backends.length; i++) where.push(await op(i, "localNames"));
check("each client on one backend", names.slice().sort(), where.flat().sort());
check("every backend has clients", backends.map(() => true), where.map((w) => w.length > 0));

// Each client's own requests (a POST with the emit, a GET with the ack), several times over.
for (let round = 0; round < 3; round++) {
  const acks = await Promise.all(clients.map((c) => c.socket.timeout(STEP_MS).emitWithAck("echo", c.name + round).catch((e) => "error " + e.message)));
  check(`round ${round + 1}: every client's ack`, names.map((n) => n + round), acks);
}

// A broadcast from each backend reaches every client, whichever process holds it.
for (let i = 0; i < backends.length; i++) {
  const tag = `b${i + 1}`;
  await op(i, "broadcast", tag);
  await until(`${tag} at every client`, () => clients.every((c) => c.got.has(tag))).catch(() => {});
  check(`broadcast from B${i + 1}`, names, clients.filter((c) => c.got.has(tag)).map((c) => c.name));
}
check("no client lost its session", [], clients.flatMap((c) => c.errors.map((e) => c.name + " " + e)));

for (const c of clients) c.socket.disconnect();
for (const a of admins) a.disconnect();
end();
