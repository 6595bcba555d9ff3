// Lesson 09, connection state recovery's window and where its state lives. The window is checked
// against Date.now() (socket.io-adapter lib/in-memory-adapter.ts restoreSession: "disconnectedAt +
// maxDisconnectionDuration < Date.now()" means expired), so these tests move node:test's mocked
// Date instead of waiting. In a file of its own: the mocked clock stays in this process.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { Server } from "socket.io";
import { start, fence, serverSocket, once } from "./lib.js";

const servers = [];
after(() => Promise.all(servers.map((s) => s.close())));

// "maxDisconnectionDuration, two minutes by default" (socket.io lib/index.ts: 2 * 60 * 1000, and
// skipMiddlewares: true; docs https://socket.io/docs/v4/connection-state-recovery).
test("recovery's defaults: a two-minute window, middleware skipped", async () => {
  const srv = await start({ connectionStateRecovery: {} });
  servers.push(srv);
  assert.deepEqual(srv.io.opts.connectionStateRecovery, { maxDisconnectionDuration: 120_000, skipMiddlewares: true });
});

// A client back after the window: a new session, and the old socket.data, rooms and missed events
// are gone. Just inside the window: all restored.
for (const [away, recovered] of [[119_999, true], [120_001, false]]) {
  test(`back ${away} ms after the drop with the default window: recovered ${recovered}`, async (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: Date.now() });
    const srv = await start({ connectionStateRecovery: {} }, (io) => {
      io.on("connection", (socket) => {
        if (socket.recovered) return;
        socket.data.user = "ravi";
        socket.join("drivers");
      });
    });
    servers.push(srv);
    const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
    const firstId = c.id;
    const got = [];
    c.on("news", (x) => got.push(x));
    srv.io.emit("news", "bookmark"); // recovery needs one server event before the drop
    await fence(srv.io.of("/"), [c]);
    const old = serverSocket(srv.io, c);
    const dropped = new Promise((resolve) => old.on("disconnect", () => {
      srv.io.to("drivers").emit("news", "missed");
      t.mock.timers.tick(away); // Ravi stays away this long
      resolve();
    }));
    c.io.engine.close();
    await dropped;
    await once(c, "connect");
    t.mock.timers.reset();
    const now = serverSocket(srv.io, c);
    assert.equal(c.recovered, recovered);
    assert.equal(c.id === firstId, recovered, "the same id only when recovered");
    assert.equal(now.data.user, "ravi", "restored, or set again by the handler of a new session");
    assert.ok(now.rooms.has("drivers"));
    await fence(srv.io.of("/"), [c]);
    assert.deepEqual(got, recovered ? ["bookmark", "missed"] : ["bookmark"]);
  });
}

// "socket.data restored on recovery, lost after the window": here the connection handler does
// not set it again, so only recovery can bring it back.
test("socket.data comes back with recovery and is lost after the window", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: Date.now() });
  let n = 0;
  const srv = await start({ connectionStateRecovery: { maxDisconnectionDuration: 1000 } }, (io) => {
    io.on("connection", (socket) => {
      socket.on("login", (user, ack) => { socket.data.user = user; ack(); });
      socket.on("whoami", (ack) => ack(socket.data.user ?? null));
      n++;
    });
  });
  servers.push(srv);
  const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
  await c.emitWithAck("login", "ravi");
  for (const [away, want] of [[999, "ravi"], [1001, null]]) {
    srv.io.emit("bookmark");
    await fence(srv.io.of("/"), [c]);
    const old = serverSocket(srv.io, c);
    const dropped = new Promise((resolve) => old.on("disconnect", () => resolve(t.mock.timers.tick(away))));
    c.io.engine.close();
    await dropped;
    await once(c, "connect");
    assert.equal(await c.emitWithAck("whoami"), want, `back after ${away} ms`);
  }
  t.mock.timers.reset();
  assert.equal(n, 3, "the connection handler ran for each connection, the recovered one included");
});

// "With the default in-memory adapter the state is kept in the server's memory, so a server
// restart loses it": a new Server on the same port does not know the old session.
test("a server restart loses the recovery state (in-memory adapter)", async () => {
  const listen = async (port) => {
    const http = createServer();
    const io = new Server(http, { connectionStateRecovery: {} });
    http.listen(port, "127.0.0.1");
    await once(http, "listening");
    return io;
  };
  let io = await listen(0);
  const port = io.httpServer.address().port;
  const { io: ioc } = await import("socket.io-client");
  const c = ioc(`http://127.0.0.1:${port}`, { forceNew: true, reconnectionDelay: 10, reconnectionDelayMax: 10, randomizationFactor: 0 });
  try {
    await once(c, "connect");
    const firstId = c.id;
    io.emit("bookmark");
    await once(c, "bookmark");
    await new Promise((resolve) => io.close(() => resolve())); // the restart: the client is dropped
    io = await listen(port);
    await once(c, "connect");
    assert.equal(c.recovered, false);
    assert.notEqual(c.id, firstId);
  } finally {
    c.disconnect();
    await new Promise((resolve) => io.close(() => resolve()));
  }
});
