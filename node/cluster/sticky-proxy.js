// A small reverse proxy in front of several Socket Lab processes (docs/deploy.md), Node's
// built-in http and net only: what nginx or HAProxy would do, in a form you can read.
//
//   node node/cluster/sticky-proxy.js LISTEN BACKEND1 BACKEND2 ...
//   node node/cluster/sticky-proxy.js 127.0.0.1:8080 http://127.0.0.1:8081 http://127.0.0.1:8082
//
// Env: COOKIE, the Engine.IO cookie name the backends set (their -cookie flag; default "io");
// STICKY=0 turns rules 1-3 off (plain round robin: see long-polling break).
// Prints "listening http://HOST:PORT" once ready.
//
// Where a request goes, first rule that applies:
//  1. /class..., /join...: the first backend. Classes live on the process that started them and
//     this deployment starts them all on one (their hubs, codes and presenter keys are in memory).
//  2. /play/ID/...: the backend that created demo instance ID. The proxy learns it from the answer
//     to POST /play/DEMO, {"path":"/play/ID/socket.io/"}.
//  3. An Engine.IO request of a known session, by its cookie (COOKIE=SID, which a backend sets on
//     the polling handshake) or its sid query parameter: the backend that answered the
//     handshake. HTTP long-polling needs this: every GET and POST of a session must reach the
//     process that holds it (any other answers 400 "Session ID unknown"). A WebSocket is one
//     connection and needs nothing more.
//  4. Anything else (pages, handshakes, new instances): the next backend in turn.
// What it learns is kept for the last MAX_LEARNED sessions and instances (memory stays bounded).
import http from "node:http";
import net from "node:net";

const [listen, ...urls] = process.argv.slice(2);
if (!listen || urls.length === 0) {
  console.error("usage: node sticky-proxy.js HOST:PORT http://BACKEND1 [http://BACKEND2 ...]");
  process.exit(2);
}
const COOKIE = process.env.COOKIE || "io";
const STICKY = process.env.STICKY !== "0";
const MAX_LEARNED = 100000;
const backends = urls.map((u) => {
  const url = new URL(u);
  return { host: url.hostname, port: Number(url.port || 80), name: url.host };
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

// learned: key → backend index, oldest first (a Map keeps insertion order).
const learned = new Map();
function learn(key, i) {
  learned.delete(key);
  learned.set(key, i);
  if (learned.size > MAX_LEARNED) learned.delete(learned.keys().next().value);
}

let turn = 0;
function pick(req) {
  const url = new URL(req.url, "http://proxy");
  if (!STICKY) return (turn = (turn + 1) % backends.length);
  if (/^\/(class|join)(\/|$)/.test(url.pathname)) return 0;
  const play = /^\/play\/([^/]+)\//.exec(url.pathname);
  if (play && learned.has("play:" + play[1])) return learned.get("play:" + play[1]);
  const sid = cookie(req.headers.cookie, COOKIE) ?? url.searchParams.get("sid");
  if (sid && learned.has("sid:" + sid)) return learned.get("sid:" + sid);
  turn = (turn + 1) % backends.length;
  return turn;
}

function cookie(header, name) {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

// learnFrom records what a backend's answer says it owns: the Engine.IO cookie of a polling
// handshake, or the instance of a POST /play/DEMO (its small JSON body, tapped while piped).
function learnFrom(req, ures, i) {
  for (const c of [].concat(ures.headers["set-cookie"] ?? [])) {
    const sid = cookie(c.split(";")[0], COOKIE);
    if (sid) learn("sid:" + sid, i);
  }
  // Engine.IO handshake bodies start with 0{"sid":"...": without the cookie option, learn it there.
  const eio = req.method === "GET" && /[?&]transport=polling/.test(req.url) && !/[?&]sid=/.test(req.url);
  const play = req.method === "POST" && /^\/play\/[^/]+$/.test(req.url.split("?")[0]);
  if (!eio && !play) return;
  let body = "";
  ures.on("data", (chunk) => {
    if (body.length < 4096) body += chunk.toString("utf8");
  });
  ures.on("end", () => {
    const m = eio ? /"sid":"([^"]+)"/.exec(body) : /"path":"\/play\/([^/"]+)\//.exec(body);
    if (m) learn((eio ? "sid:" : "play:") + m[1], i);
  });
}

const server = http.createServer((req, res) => {
  const i = pick(req);
  const b = backends[i];
  const up = http.request(
    { host: b.host, port: b.port, method: req.method, path: req.url, agent, headers: forwarded(req) },
    (ures) => {
      learnFrom(req, ures, i);
      res.writeHead(ures.statusCode, ures.headers);
      ures.pipe(res);
    },
  );
  up.on("error", (err) => {
    if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
    res.end(`proxy: ${b.name}: ${err.message}\n`);
  });
  res.on("close", () => {
    if (!res.writableFinished) up.destroy(); // a client that went away ends its long-poll too
  });
  req.pipe(up);
});

// WebSocket: the upgrade request goes to the chosen backend as it came, then bytes both ways.
server.on("upgrade", (req, socket, head) => {
  const b = backends[pick(req)];
  const up = net.connect(b.port, b.host, () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    const h = forwarded(req);
    for (const [k, v] of Object.entries(h)) for (const x of [].concat(v)) lines.push(`${k}: ${x}`);
    up.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length) up.write(head);
    up.pipe(socket);
    socket.pipe(up);
  });
  const end = () => {
    up.destroy();
    socket.destroy();
  };
  up.on("error", end);
  socket.on("error", end);
  up.on("close", end);
  socket.on("close", end);
});

function forwarded(req) {
  const h = { ...req.headers };
  const from = req.socket.remoteAddress ?? "";
  h["x-forwarded-for"] = h["x-forwarded-for"] ? `${h["x-forwarded-for"]}, ${from}` : from;
  return h;
}

const [host, port] = [listen.slice(0, listen.lastIndexOf(":")), Number(listen.slice(listen.lastIndexOf(":") + 1))];
server.listen(port, host, () => {
  const a = server.address();
  console.log(`listening http://${a.address}:${a.port}`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
