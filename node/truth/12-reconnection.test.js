// Lesson 12 (reconnection and errors): what socket.io-client 4.8 does when a connection ends.
// Which disconnect reasons it reconnects after (socket.active), the backoff between attempts,
// emits buffered while offline and flushed on reconnect (volatile ones dropped), the heartbeat
// defaults and "ping timeout", and connect_error from a middleware (err.data, no retry) versus
// from an unreachable server (retried).
//
// Sources: https://socket.io/docs/v4/client-socket-instance/#disconnect (the reasons table),
// https://socket.io/docs/v4/client-options/#reconnectiondelay, socket.io-client
// build/esm/contrib/backo2.js (the formula), https://socket.io/docs/v4/server-options/#pinginterval.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { io as ioc } from "socket.io-client";
import { start, serverSocket, once, upgraded as upgradedOn } from "./lib.js";

const servers = [];
after(() => Promise.all(servers.map((s) => s.close())));

const fast = { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 };

// upgraded: a test closes a connection from the server only once it is on WebSocket (lib.js).
const upgraded = (srv, c) => upgradedOn(srv.io, c);

test("heartbeat defaults: pingInterval 25000 ms, pingTimeout 20000 ms, sent in the handshake", async () => {
  const srv = await start();
  servers.push(srv);
  assert.equal(srv.io.engine.opts.pingInterval, 25000);
  assert.equal(srv.io.engine.opts.pingTimeout, 20000);
  const c = await srv.client();
  assert.equal(c.io.engine._pingInterval, 25000, "the client learns them from the handshake");
  assert.equal(c.io.engine._pingTimeout, 20000);
});

// Each way a connection ends: the reason the client's "disconnect" gets, socket.active in that
// handler, and whether the client connects again by itself.
const endings = [
  { how: "the server calls socket.disconnect()", reason: "io server disconnect", reconnects: false, end: (s) => s.disconnect() },
  { how: "the client calls socket.disconnect()", reason: "io client disconnect", reconnects: false, end: (s, c) => c.disconnect() },
  { how: "the server closes the connection (socket.conn.close())", reason: "transport close", reconnects: true, end: (s) => s.conn.close() },
  { how: "the transport fails", reason: "transport error", reconnects: true, end: (s, c) => c.io.engine.transport.onError("simulated failure") },
];

for (const e of endings) {
  test(`${e.how}: "${e.reason}", ${e.reconnects ? "reconnects by itself" : "stays disconnected"}`, async () => {
    const srv = await start();
    servers.push(srv);
    const c = await srv.client("/", fast);
    await upgraded(srv, c);
    const firstId = c.id;
    const gone = new Promise((resolve) => c.once("disconnect", (reason) => resolve({ reason, active: c.active })));
    e.end(serverSocket(srv.io, c), c);
    const { reason, active } = await gone;
    assert.equal(reason, e.reason);
    assert.equal(active, e.reconnects, "socket.active in the disconnect handler");
    if (e.reconnects) {
      await once(c, "connect");
      assert.notEqual(c.id, firstId, "a new socket id (no connection state recovery here)");
    } else {
      // Proof that nothing is retried: the manager schedules no attempt, and connect() works.
      assert.equal(c.io._reconnecting, false);
      assert.equal(c.io.backoff.attempts, 0);
      c.connect();
      await once(c, "connect");
    }
  });
}

test('ping timeout: a server that stops pinging is dropped by the client ("ping timeout"), which reconnects', async () => {
  let frozen = 0;
  const srv = await start({ pingInterval: 100, pingTimeout: 100 }, (io) => {
    io.on("connection", (socket) => {
      if (frozen++ > 0) return; // only the first connection falls silent
      // No public API does this: a server whose pings stop, as over a dead link.
      clearTimeout(socket.conn.pingIntervalTimer);
    });
  });
  servers.push(srv);
  const c = await srv.client("/", fast);
  let pings = 0;
  c.io.on("ping", () => pings++);
  const [reason] = await once(c, "disconnect");
  assert.equal(reason, "ping timeout");
  assert.equal(pings, 0, "no ping arrived within pingInterval + pingTimeout");
  assert.equal(c.active, true);
  await once(c, "connect");
});

test("backoff: reconnectionDelay · 2^(attempt-1), ± randomizationFactor of it, capped at reconnectionDelayMax", async () => {
  const c = ioc("http://127.0.0.1:1", { autoConnect: false, reconnectionDelay: 1000, reconnectionDelayMax: 5000, randomizationFactor: 0 });
  const delays = Array.from({ length: 5 }, () => c.io.backoff.duration());
  assert.deepEqual(delays, [1000, 2000, 4000, 5000, 5000]);
  // The defaults: 1000, 5000, 0.5.
  const d = ioc("http://127.0.0.1:1", { autoConnect: false });
  assert.equal(d.io.reconnectionDelay(), 1000);
  assert.equal(d.io.reconnectionDelayMax(), 5000);
  assert.equal(d.io.randomizationFactor(), 0.5);
  assert.equal(d.io.reconnectionAttempts(), Infinity);
  // The jitter: a random r moves the delay by floor(r · factor · delay), down or up.
  const random = Math.random;
  try {
    Math.random = () => 0.25; // floor(2.5) is even: down
    assert.equal(d.io.backoff.duration(), 1000 - 125);
    Math.random = () => 0.35; // floor(3.5) is odd: up
    assert.equal(d.io.backoff.duration(), 2000 + 350);
    d.io.backoff.attempts = 3; // 8000 ± up to 4000, then the cap
    Math.random = () => 0.8; // even: 8000 - 3200 = 4800, under the cap
    assert.equal(d.io.backoff.duration(), 4800);
  } finally {
    Math.random = random;
  }
});

test("an unreachable server: connect_error on every attempt with socket.active true, then reconnect_failed after reconnectionAttempts", async () => {
  // A port nobody listens on: take one, then close it.
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  const c = ioc(`http://127.0.0.1:${port}`, { forceNew: true, reconnectionAttempts: 3, reconnectionDelay: 10, randomizationFactor: 0 });
  const errors = [];
  c.on("connect_error", () => errors.push(c.active));
  const attempts = [];
  c.io.on("reconnect_attempt", (n) => attempts.push(n));
  await new Promise((resolve) => c.io.on("reconnect_failed", resolve));
  assert.deepEqual(attempts, [1, 2, 3]);
  assert.deepEqual(errors, [true, true, true, true], "the first try and three retries, each while active");
  assert.equal(c.active, true, "still active after reconnect_failed: only disconnect() ends it");
  c.disconnect();
});

test("a middleware refusal: connect_error with err.message and err.data, socket.active false, no retry", async () => {
  const srv = await start({}, (io) => {
    io.use((socket, next) => {
      const err = new Error("not authorized");
      err.data = { content: "Please retry later" };
      next(err);
    });
  });
  servers.push(srv);
  const c = srv.socket("/", { ...fast, reconnectionAttempts: 2 });
  let attempts = 0;
  c.io.on("reconnect_attempt", () => attempts++);
  const [err] = await once(c, "connect_error");
  assert.equal(err.message, "not authorized");
  assert.deepEqual(err.data, { content: "Please retry later" });
  assert.equal(c.active, false, "refused by the server: the client gives up");
  // The refusal closed the manager for good: no attempt is scheduled (none will ever run).
  assert.equal(c.io._readyState, "closed");
  assert.equal(c.io._reconnecting, false);
  assert.equal(c.io.backoff.attempts, 0);
  assert.equal(attempts, 0);
});

test("emits while disconnected are buffered and all sent, in order, once the socket connects again", async () => {
  const got = [];
  let ready;
  const gotAll = new Promise((r) => (ready = r));
  const srv = await start({}, (io) => {
    io.on("connection", (socket) => {
      socket.on("msg", (n) => {
        got.push(n);
        if (got.length === 3) ready();
      });
    });
  });
  servers.push(srv);
  const c = await srv.client("/", fast);
  await upgraded(srv, c);
  c.io.reconnection(false); // hold the reconnection until the emits are made
  const gone = once(c, "disconnect");
  serverSocket(srv.io, c).conn.close(); // the server drops the connection: "transport close"
  await gone;
  c.emit("msg", 1);
  c.emit("msg", 2);
  c.emit("msg", 3);
  assert.equal(c.connected, false);
  assert.equal(c.sendBuffer.length, 3);
  c.io.reconnection(true);
  c.connect();
  await gotAll;
  assert.deepEqual(got, [1, 2, 3]);
  assert.equal(c.sendBuffer.length, 0);
});

// socket.io-client drops a volatile emit only when `engine.transport.writable` is false. A closed
// WebSocket transport keeps saying writable, so over WebSocket a volatile emit made while
// disconnected is buffered and sent on reconnect like any other: check socket.connected instead.
for (const close of ["the server closes the connection", "the client closes its engine"]) {
  test(`volatile while disconnected over WebSocket (${close}): buffered, then sent on reconnect`, async () => {
    const got = [];
    let ready;
    const gotIt = new Promise((r) => (ready = r));
    const srv = await start({}, (io) => {
      io.on("connection", (socket) => socket.on("msg", (x) => (got.push(x), ready())));
    });
    servers.push(srv);
    const c = await srv.client("/", { ...fast, transports: ["websocket"] });
    c.io.reconnection(false);
    const gone = once(c, "disconnect");
    if (close.startsWith("the server")) serverSocket(srv.io, c).conn.close();
    else c.io.engine.close();
    const [reason] = await gone;
    assert.equal(reason, close.startsWith("the server") ? "transport close" : "forced close");
    c.volatile.emit("msg", "volatile, sent while offline");
    assert.equal(c.sendBuffer.length, 1);
    c.io.reconnection(true);
    c.connect();
    await gotIt;
    assert.deepEqual(got, ["volatile, sent while offline"]);
  });
}

test("emptying socket.sendBuffer before the reconnect discards what was buffered", async () => {
  const got = [];
  const srv = await start({}, (io) => {
    io.on("connection", (socket) => socket.on("msg", (x, ack) => (got.push(x), ack?.())));
  });
  servers.push(srv);
  const c = await srv.client("/", fast);
  await upgraded(srv, c);
  c.io.reconnection(false);
  const gone = once(c, "disconnect");
  serverSocket(srv.io, c).conn.close();
  await gone;
  c.emit("msg", "stale 1");
  c.emit("msg", "stale 2");
  c.sendBuffer = []; // e.g. in socket.io.on("reconnect_attempt"): old positions are worthless
  c.io.reconnection(true);
  c.connect();
  await once(c, "connect");
  await c.emitWithAck("msg", "fresh");
  assert.deepEqual(got, ["fresh"]);
});

test("a buffered emit with a timeout leaves the buffer when it times out (it is never sent)", async () => {
  const got = [];
  const srv = await start({}, (io) => {
    io.on("connection", (socket) => {
      socket.on("msg", (x, ack) => {
        got.push(x);
        ack?.("ok");
      });
    });
  });
  servers.push(srv);
  const c = await srv.client("/", fast);
  c.io.reconnection(false);
  const gone = once(c, "disconnect");
  c.io.engine.close();
  await gone;
  const res = await new Promise((resolve) => c.timeout(20).emit("msg", "late", (err) => resolve(err)));
  assert.equal(res.message, "operation has timed out");
  assert.equal(c.sendBuffer.length, 0);
  c.emit("msg", "kept");
  c.io.reconnection(true);
  c.connect();
  await once(c, "connect");
  assert.equal(await c.emitWithAck("msg", "after"), "ok");
  assert.deepEqual(got, ["kept", "after"]);
});

test("socket.active is true while a dropped socket waits for its next attempt", async () => {
  const srv = await start();
  servers.push(srv);
  const c = await srv.client("/", { reconnection: true, reconnectionDelay: 200, randomizationFactor: 0 });
  const gone = once(c, "disconnect");
  c.io.engine.close();
  await gone;
  assert.equal(c.connected, false);
  assert.equal(c.active, true);
  await once(c, "connect");
});
