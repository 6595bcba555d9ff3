// Lesson 13 (authentication): a signed token checked in middleware, socket.data.user, expiry and
// the auth option (an object is sent as is on every reconnection, a function is called on every
// attempt), connection state recovery skipping middleware by default, cookies and CORS.
//
// Sources: https://socket.io/docs/v4/middlewares/, https://socket.io/docs/v4/client-options/#auth,
// https://socket.io/docs/v4/connection-state-recovery (skipMiddlewares),
// https://socket.io/docs/v4/handling-cors/ (credentials, withCredentials).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { start, serverSocket, once, upgraded } from "./lib.js";

const servers = [];
after(() => Promise.all(servers.map((s) => s.close())));

const SECRET = "test secret";
const b64 = (s) => Buffer.from(s).toString("base64url");
function sign(claims) {
  const data = b64(JSON.stringify({ alg: "HS256", typ: "JWT" })) + "." + b64(JSON.stringify(claims));
  return data + "." + createHmac("sha256", SECRET).update(data).digest("base64url");
}
function verify(token) {
  const [h, p, sig] = String(token ?? "").split(".");
  if (!sig) return { error: "invalid token" };
  const want = createHmac("sha256", SECRET).update(h + "." + p).digest();
  const got = Buffer.from(sig, "base64url");
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { error: "invalid token" };
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  if (now() >= claims.exp) return { error: "token expired", exp: claims.exp };
  return { user: { name: claims.sub } };
}
// The server's clock, in Unix seconds; a test moves it forward instead of waiting.
let skew = 0;
const now = () => Math.floor(Date.now() / 1000) + skew;

// drop closes a client's connection from the server's side, as a network failure would; the
// client reconnects by itself. It waits until the server has upgraded the connection to
// WebSocket: a long-polling transport closed while the client holds no GET (between two polls,
// or paused for the upgrade) makes engine.io wait for the next GET with a 30 s closeTimeout
// timer, which nothing clears once the client has gone: it kept Node alive 30 s after the last test.
async function drop(srv, c) {
  await upgraded(srv.io, c);
  serverSocket(srv.io, c).conn.close();
}

// The lesson's middleware, counting its runs.
function guard(counter = { runs: 0 }) {
  return (socket, next) => {
    counter.runs++;
    const r = verify(socket.handshake.auth.token);
    if (r.error) {
      const err = new Error(r.error);
      if (r.exp) err.data = { expiredAt: r.exp };
      return next(err);
    }
    socket.data.user = r.user;
    next();
  };
}

test("middleware: a valid token sets socket.data.user before the connection handler runs", async () => {
  let seen;
  const srv = await start({}, (io) => {
    io.use(guard());
    io.on("connection", (socket) => (seen = socket.data.user));
  });
  servers.push(srv);
  const c = await srv.client("/", { auth: { token: sign({ sub: "ada", exp: now() + 60 }) } });
  assert.deepEqual(seen, { name: "ada" });
  assert.deepEqual(serverSocket(srv.io, c).data.user, { name: "ada" });
});

test("middleware: forged, missing and expired tokens are refused with err.message (and err.data)", async () => {
  const srv = await start({}, (io) => io.use(guard()));
  servers.push(srv);
  const good = sign({ sub: "ada", exp: now() + 60 }).split(".");
  const forged = b64(JSON.stringify({ alg: "HS256", typ: "JWT" })) + "." + b64(JSON.stringify({ sub: "admin", exp: now() + 60 })) + "." + good[2];
  const exp = now() - 1;
  for (const [token, message, data] of [
    [forged, "invalid token", undefined],
    [undefined, "invalid token", undefined],
    [sign({ sub: "ada", exp }), "token expired", { expiredAt: exp }],
  ]) {
    const err = await srv.client("/", { auth: { token } }).then(() => null, (e) => e);
    assert.equal(err?.message, message);
    assert.deepEqual(err.data, data);
  }
});

test("auth as an object: the same token is sent again on every reconnection, expired or not", async () => {
  const srv = await start({}, (io) => io.use(guard()));
  servers.push(srv);
  const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0, auth: { token: sign({ sub: "ada", exp: now() + 60 }) } });
  skew += 120; // two minutes later: the token has expired
  await drop(srv, c); // the connection drops; the client reconnects by itself
  const [err] = await once(c, "connect_error");
  assert.equal(err.message, "token expired");
  assert.equal(c.active, false, "a refusal: no more attempts");
  // Fix: give the socket a new token, then connect again.
  c.auth = { token: sign({ sub: "ada", exp: now() + 60 }) };
  c.connect();
  await once(c, "connect");
});

test("auth as a function: called on every connection attempt, so a reconnection can fetch a fresh token", async () => {
  const tokens = [];
  const srv = await start({}, (io) => {
    io.use((socket, next) => {
      tokens.push(socket.handshake.auth.token);
      next();
    });
  });
  servers.push(srv);
  let calls = 0;
  const c = await srv.client("/", {
    reconnection: true,
    reconnectionDelay: 10,
    randomizationFactor: 0,
    auth: (cb) => cb({ token: `token #${++calls}` }), // a real app: fetch("/token").then(...)
  });
  for (let i = 0; i < 2; i++) {
    const gone = once(c, "disconnect");
    await drop(srv, c);
    await gone;
    await once(c, "connect");
  }
  assert.equal(calls, 3);
  assert.deepEqual(tokens, ["token #1", "token #2", "token #3"]);
});

test("connection state recovery skips middleware by default (skipMiddlewares: true): a revoked user gets back in", async () => {
  const counter = { runs: 0 };
  const revoked = new Set();
  let srvIO;
  const srv = await start({ connectionStateRecovery: {} }, (io) => {
    srvIO = io;
    io.use((socket, next) => {
      counter.runs++;
      if (revoked.has(socket.handshake.auth.user)) return next(new Error("revoked"));
      next();
    });
    io.on("connection", (socket) => socket.emit("welcome")); // recovery needs one event before the drop
  });
  servers.push(srv);
  assert.equal(srvIO.opts.connectionStateRecovery.skipMiddlewares, true, "the default");
  const c = srv.socket("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0, auth: { user: "mallory" } });
  await once(c, "welcome");
  assert.equal(counter.runs, 1);
  revoked.add("mallory");
  const s = serverSocket(srv.io, c);
  const gone = once(s, "disconnect");
  c.io.engine.close();
  await gone;
  await once(c, "connect");
  assert.equal(c.recovered, true);
  assert.equal(counter.runs, 1, "the middleware did not run for the recovered connection");
});

test("with skipMiddlewares: false the middleware runs again on recovery and can refuse", async () => {
  const revoked = new Set();
  let runs = 0;
  const srv = await start({ connectionStateRecovery: { skipMiddlewares: false } }, (io) => {
    io.use((socket, next) => {
      runs++;
      if (revoked.has(socket.handshake.auth.user)) return next(new Error("revoked"));
      next();
    });
    io.on("connection", (socket) => socket.emit("welcome"));
  });
  servers.push(srv);
  const c = srv.socket("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0, auth: { user: "mallory" } });
  await once(c, "welcome");
  revoked.add("mallory");
  const gone = once(serverSocket(srv.io, c), "disconnect");
  c.io.engine.close();
  await gone;
  const [err] = await once(c, "connect_error");
  assert.equal(err.message, "revoked");
  assert.equal(runs, 2);
});

test("CORS: an allowed Origin gets Access-Control-Allow-Origin (and -Credentials with credentials: true); another gets none", async () => {
  const srv = await start({ cors: { origin: ["https://app.example"], credentials: true } });
  servers.push(srv);
  const url = `${srv.url}/socket.io/?EIO=4&transport=polling`;
  const ok = await fetch(url, { headers: { Origin: "https://app.example" } });
  assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example");
  assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
  await ok.text();
  const other = await fetch(url, { headers: { Origin: "https://evil.example" } });
  assert.equal(other.headers.get("access-control-allow-origin"), null, "the browser will not let the page read it");
  await other.text();
});

test("cookies: the middleware reads them from socket.handshake.headers.cookie", async () => {
  let cookie;
  const srv = await start({}, (io) => {
    io.use((socket, next) => {
      cookie = socket.handshake.headers.cookie;
      next();
    });
  });
  servers.push(srv);
  // Node's client sends headers you give it; a browser sends the site's cookies itself
  // (cross-origin only with withCredentials: true and cors.credentials on the server).
  await srv.client("/", { extraHeaders: { cookie: "session=abc123" } });
  assert.equal(cookie, "session=abc123");
});
