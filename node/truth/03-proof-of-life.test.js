// Lesson 03 (proof of life): what the server sees and can log: a connection event with the same
// id as the client, handshake details, the transport and its upgrade, every incoming event, the
// number of connected clients, and a disconnect with a reason.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, serverSocket, once } from "./lib.js";

let srv;
const log = [];

before(async () => {
  // The default heartbeat: a 100 ms one dropped connections mid-handshake on a loaded machine.
  srv = await start({}, (io) => {
    io.on("connection", (socket) => {
      log.push(["connection", socket.id, io.engine.clientsCount]);
      socket.onAny((event, ...args) => log.push(["event", socket.id, event, ...args]));
      socket.on("disconnect", (reason) => log.push(["disconnect", socket.id, reason]));
    });
  });
});

after(() => srv.close());

const entries = (id, kind) => log.filter(([k, sid]) => sid === id && (kind === undefined || k === kind));

test("the server sees each connection, with the same id the client has", async () => {
  const before = srv.io.engine.clientsCount;
  const c = await srv.client();
  const [[, id, count]] = entries(c.id, "connection");
  assert.equal(id, c.id);
  assert.equal(count, before + 1, "the server counts connected clients");
  const s = serverSocket(srv.io, c);
  assert.match(s.handshake.address, /127\.0\.0\.1/);
  assert.equal(typeof s.handshake.time, "string");
  c.disconnect();
});

test("the transport starts as HTTP long-polling and upgrades to WebSocket", async () => {
  const c = await srv.client();
  const s = serverSocket(srv.io, c);
  assert.equal(s.conn.transport.name, "polling");
  await once(s.conn, "upgrade");
  assert.equal(s.conn.transport.name, "websocket");
  c.disconnect();
});

// Lesson 03, "Two ways to carry the same events": the client side of the same sequence, as the
// demo columns (static/js/sio.js) show it: socket.io.engine.transport.name, then its "upgrade".
test("the client's default transports are polling then websocket; it opens over polling and its engine emits 'upgrade'", async () => {
  const c = srv.socket("/");
  const engine = c.io.engine;
  assert.deepEqual(engine.transports.slice(0, 2), ["polling", "websocket"], "polling first, WebSocket next");
  assert.equal(engine.transport.name, "polling", "the first request is a polling handshake");
  const steps = [];
  engine.on("upgrading", (t) => steps.push(["upgrading", t.name]));
  const upgraded = once(engine, "upgrade");
  await once(c, "connect");
  const [t] = await upgraded;
  steps.push(["upgrade", t.name, engine.transport.name]);
  assert.deepEqual(steps, [["upgrading", "websocket"], ["upgrade", "websocket", "websocket"]]);
  c.disconnect();
});

test("the probe: 2probe over the new WebSocket is answered with 3probe, then the client's 5 switches the server over", async () => {
  const server = new Promise((resolve) =>
    srv.io.engine.once("connection", (conn) => {
      const steps = [];
      conn.on("upgrading", (t) => steps.push(["upgrading", t.name, conn.transport.name]));
      conn.on("upgrade", (t) => {
        steps.push(["upgrade", t.name, conn.transport.name]);
        resolve(steps);
      });
    }),
  );
  const c = srv.socket("/");
  // engine.io (node_modules/engine.io/build/socket.js): on "ping" with data "probe" it sends "pong"
  // "probe" and emits "upgrading"; on the "upgrade" packet (5) it emits "upgrade" and switches.
  assert.deepEqual(await server, [["upgrading", "websocket", "polling"], ["upgrade", "websocket", "websocket"]]);
  c.disconnect();
});

test("with upgrade: false the client stays on polling", async () => {
  const c = await srv.client("/", { upgrade: false });
  const s = serverSocket(srv.io, c);
  await once(c.io, "ping"); // a heartbeat later, still polling
  assert.equal(c.io.engine.transport.name, "polling");
  assert.equal(s.conn.transport.name, "polling");
  c.disconnect();
});

test("with transports: [\"websocket\"] the client connects over WebSocket from the start, no polling", async () => {
  const c = await srv.client("/", { transports: ["websocket"] });
  assert.equal(c.io.engine.transport.name, "websocket");
  assert.equal(serverSocket(srv.io, c).conn.transport.name, "websocket", "the server sees WebSocket on connection");
  c.disconnect();
});

test("every message the client sends can be logged with onAny", async () => {
  const c = await srv.client();
  const s = serverSocket(srv.io, c);
  const got = once(s, "chat message");
  c.emit("chat message", "hi");
  await got;
  assert.deepEqual(entries(c.id, "event"), [["event", c.id, "chat message", "hi"]]);
  c.disconnect();
});

test("disconnect reasons: the client leaves, the connection is lost, the server kicks", async () => {
  // The client calls socket.disconnect() (e.g. a Leave button).
  let c = await srv.client();
  let s = serverSocket(srv.io, c);
  let gone = once(s, "disconnect");
  c.disconnect();
  assert.deepEqual(await gone, ["client namespace disconnect", undefined]);

  // The connection is closed under it (a closed tab, a lost network).
  c = await srv.client();
  s = serverSocket(srv.io, c);
  gone = once(s, "disconnect");
  c.io.engine.close();
  assert.equal((await gone)[0], "transport close");

  // The server kicks it.
  c = await srv.client();
  s = serverSocket(srv.io, c);
  const clientSide = once(c, "disconnect");
  gone = once(s, "disconnect");
  s.disconnect();
  assert.equal((await gone)[0], "server namespace disconnect");
  assert.equal((await clientSide)[0], "io server disconnect");
});

test("a client that stops answering the heartbeat is dropped with 'ping timeout'", async () => {
  const own = await start({ pingInterval: 100, pingTimeout: 100 }); // its own short heartbeat
  const c = await own.client("/", { transports: ["websocket"] });
  const s = serverSocket(own.io, c);
  const gone = once(s, "disconnect");
  // Simulate a frozen network: the client's TCP socket stops reading, so it never sees a ping.
  const tcp = c.io.engine.transport.ws._socket;
  tcp.pause();
  assert.equal((await gone)[0], "ping timeout");
  tcp.destroy();
  assert.equal(own.io.of("/").sockets.has(s.id), false);
  await own.close();
});

// Lesson 03: the heartbeat's defaults, "a ping every 25 seconds, 20 seconds to answer"
// (engine.io lib/server.ts: pingInterval 25000, pingTimeout 20000; the server tells the client
// both in its handshake, docs https://socket.io/docs/v4/server-options/#pinginterval).
test("heartbeat defaults: pingInterval 25000 ms and pingTimeout 20000 ms, sent to the client in the handshake", async () => {
  const own = await start();
  try {
    assert.equal(own.io.engine.opts.pingInterval, 25000);
    assert.equal(own.io.engine.opts.pingTimeout, 20000);
    const c = await own.client("/", { transports: ["websocket"] });
    assert.equal(c.io.engine._pingInterval, 25000, "the client learns the interval from the server");
    assert.equal(c.io.engine._pingTimeout, 20000);
  } finally {
    await own.close();
  }
});

// Lesson 03: socket.handshake holds the client's address, the time it connected and its request
// headers (socket.io lib/socket.ts buildHandshake: headers, time, address, xdomain, secure, issued,
// url, query, auth; docs https://socket.io/docs/v4/server-socket-instance/#sockethandshake).
test("socket.handshake has the request headers too", async () => {
  const c = await srv.client("/", { extraHeaders: { "x-lesson": "3" } });
  const hs = serverSocket(srv.io, c).handshake;
  assert.equal(hs.headers["x-lesson"], "3");
  assert.equal(hs.headers.host, new URL(srv.url).host);
  assert.ok(!Number.isNaN(Date.parse(hs.time)), "time is a date string");
  c.disconnect();
});
