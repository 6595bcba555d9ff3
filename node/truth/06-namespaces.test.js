// Lesson 06 (namespaces): each namespace has its own event handlers, rooms and middleware;
// a client picks one by URL path; one connection carries several (multiplexing).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Manager } from "socket.io-client";
import { start, record, fence, receivers, serverSocket, once } from "./lib.js";

let srv;
const middlewareRuns = { "/": 0, "/orders": 0, "/admin": 0 };

before(async () => {
  srv = await start({}, (io) => {
    io.use((socket, next) => { middlewareRuns["/"]++; next(); });
    io.on("connection", (socket) => {
      socket.on("whoami", (ack) => ack("handled by /"));
      socket.on("join", (room, ack) => { socket.join(room); ack(); });
      socket.on("shout", (ack) => { socket.nsp.to("room-1").emit("shouted", "/"); ack(); });
    });

    const orders = io.of("/orders");
    orders.use((socket, next) => { middlewareRuns["/orders"]++; next(); });
    orders.on("connection", (socket) => {
      socket.on("whoami", (ack) => ack("handled by /orders"));
      socket.on("join", (room, ack) => { socket.join(room); ack(); });
      socket.on("io.emit", (ack) => { io.emit("from-io-emit"); ack(); });
      socket.on("nsp.emit", (ack) => { orders.emit("from-nsp-emit"); ack(); });
      socket.on("socket.to", (room, ack) => { socket.to(room).emit("to-room"); ack(); });
    });

    const admin = io.of("/admin");
    admin.use((socket, next) => {
      middlewareRuns["/admin"]++;
      if (socket.handshake.auth.token === "let-me-in") return next();
      next(new Error("not authorized"));
    });
    admin.on("connection", (socket) => socket.on("whoami", (ack) => ack("handled by /admin")));
  });
});

after(() => srv.close());

test("a client chooses a namespace by URL path; the server socket belongs to it", async () => {
  const c = await srv.client("/orders");
  assert.equal(serverSocket(srv.io, c, "/orders").nsp.name, "/orders");
  assert.equal(srv.io.of("/").sockets.has(c.id), false);
  c.disconnect();
});

test("each namespace has its own event handlers", async () => {
  const main = await srv.client("/");
  const orders = await srv.client("/orders");
  assert.equal(await main.emitWithAck("whoami"), "handled by /");
  assert.equal(await orders.emitWithAck("whoami"), "handled by /orders");
  main.disconnect();
  orders.disconnect();
});

test("each namespace has its own rooms: room-1 in / is not room-1 in /orders", async () => {
  const main = record(await srv.client("/"));
  const orders = record(await srv.client("/orders"));
  await main.emitWithAck("join", "room-1");
  await orders.emitWithAck("join", "room-1");
  assert.equal(srv.io.of("/").adapter.rooms.get("room-1").size, 1);
  assert.equal(srv.io.of("/orders").adapter.rooms.get("room-1").size, 1);
  await main.emitWithAck("shout"); // to("room-1") in "/"
  await fence(srv.io.of("/"), [main]);
  await fence(srv.io.of("/orders"), [orders]);
  assert.deepEqual(receivers({ main, orders }, "shouted"), ["main"]);
  main.disconnect();
  orders.disconnect();
});

// Lesson 06 quiz and predict demo: Ada in room-1 of /, Grace and Linus in room-1 of /orders;
// Linus's socket.to("room-1") reaches Grace only (the sender is left out, rooms stay in their namespace).
test("socket.to(room) in /orders reaches that namespace's room only, without the sender", async () => {
  const ada = record(await srv.client("/"));
  const grace = record(await srv.client("/orders"));
  const linus = record(await srv.client("/orders"));
  await ada.emitWithAck("join", "room-1");
  await grace.emitWithAck("join", "room-1");
  await linus.emitWithAck("join", "room-1");
  await linus.emitWithAck("socket.to", "room-1");
  await fence(srv.io.of("/"), [ada]);
  await fence(srv.io.of("/orders"), [grace, linus]);
  assert.deepEqual(receivers({ ada, grace, linus }, "to-room"), ["grace"]);
  for (const c of [ada, grace, linus]) c.disconnect();
});

test("io.emit is the main namespace only; to reach /orders, emit on that namespace", async () => {
  const main = record(await srv.client("/"));
  const orders = record(await srv.client("/orders"));
  await orders.emitWithAck("io.emit");
  await orders.emitWithAck("nsp.emit");
  await fence(srv.io.of("/"), [main]);
  await fence(srv.io.of("/orders"), [orders]);
  assert.deepEqual(receivers({ main, orders }, "from-io-emit"), ["main"]);
  assert.deepEqual(receivers({ main, orders }, "from-nsp-emit"), ["orders"]);
  main.disconnect();
  orders.disconnect();
});

test("each namespace has its own middleware", async () => {
  const before = { ...middlewareRuns };
  const orders = await srv.client("/orders");
  assert.equal(middlewareRuns["/orders"], before["/orders"] + 1);
  assert.equal(middlewareRuns["/"], before["/"], "the main namespace's middleware did not run");

  // /admin's middleware refuses a wrong token: connect_error with its message, no retry.
  const refused = srv.socket("/admin", { auth: { token: "guess" } });
  const [err] = await once(refused, "connect_error");
  assert.equal(err.message, "not authorized");
  assert.equal(refused.active, false);
  assert.equal(refused.connected, false);

  const admin = await srv.client("/admin", { auth: { token: "let-me-in" } });
  assert.equal(await admin.emitWithAck("whoami"), "handled by /admin");
  orders.disconnect();
  admin.disconnect();
});

test("an unknown namespace is refused with connect_error 'Invalid namespace'", async () => {
  const c = srv.socket("/nope");
  const [err] = await once(c, "connect_error");
  assert.equal(err.message, "Invalid namespace");
});

test("multiplexing: one connection carries several namespaces, one socket (and id) each", async () => {
  // Same URL origin, no forceNew: socket.io-client reuses one Manager and one Engine.IO connection.
  const main = await srv.client("/", { forceNew: false });
  const orders = await srv.client("/orders", { forceNew: false });
  assert.equal(main.io, orders.io, "one Manager");
  const sMain = serverSocket(srv.io, main, "/");
  const sOrders = serverSocket(srv.io, orders, "/orders");
  assert.equal(sMain.conn, sOrders.conn, "one Engine.IO connection on the server");
  assert.notEqual(main.id, orders.id, "a different socket id per namespace");

  // Leaving one namespace keeps the other one (and the connection) alive.
  const gone = once(sOrders, "disconnect");
  orders.disconnect();
  const [reason] = await gone;
  assert.equal(reason, "client namespace disconnect");
  assert.equal(await main.emitWithAck("whoami"), "handled by /");
  main.disconnect();
});

test("a refusal on one namespace leaves the other namespaces of the same connection alone", async () => {
  const manager = new Manager(srv.url, { reconnection: false }); // one connection, explicitly
  const main = manager.socket("/");
  await once(main, "connect");
  const admin = manager.socket("/admin", { auth: { token: "guess" } });
  const [err] = await once(admin, "connect_error");
  assert.equal(err.message, "not authorized");
  assert.equal(main.connected, true);
  assert.equal(await main.emitWithAck("whoami"), "handled by /");
  main.disconnect();
});

// Lesson 06, quiz: socket.io-client reuses one Manager (one connection) per origin AND path
// (lib/index.ts lookup(): its cache key is the URL's id, the origin plus the path option), so a
// second path on the same server opens a second connection.
test("the client reuses one connection per origin and path, not per server", async () => {
  const own = await start({}, (io) => io.of("/orders")); // a fresh origin: nothing cached yet
  try {
    const a = await own.client("/", { forceNew: false });
    const b = await own.client("/orders", { forceNew: false });
    assert.equal(a.io, b.io, "same origin, same path: one Manager");
    const other = own.socket("/", { forceNew: false, path: "/other-path/" });
    assert.notEqual(other.io, a.io, "another path: another Manager, another connection");
    other.close();
  } finally {
    await own.close();
  }
});

// Lesson 06: "io.of(name) creates (or returns) a namespace" and "io.on('connection') is short for
// io.of('/').on('connection')" (socket.io lib/index.ts: of() returns the cached Namespace;
// on() is forwarded to this.sockets, which is this.of("/")).
test("io.of(name) returns the same namespace every time; io.on is io.of('/').on", async () => {
  assert.equal(srv.io.of("/orders"), srv.io.of("/orders"));
  assert.equal(srv.io.sockets, srv.io.of("/"));
  const seen = [];
  const handler = (socket) => seen.push(socket.nsp.name);
  srv.io.on("connection", handler);
  try {
    assert.ok(srv.io.of("/").listeners("connection").includes(handler));
    const c = await srv.client("/");
    assert.deepEqual(seen, ["/"]);
    c.disconnect();
  } finally {
    srv.io.of("/").off("connection", handler);
  }
});

// Lesson 06: "To force a separate connection, pass { forceNew: true }" (socket.io-client
// lib/index.ts lookup(): forceNew or multiplex: false skips the Manager cache;
// docs https://socket.io/docs/v4/client-options/#forcenew).
test("forceNew: true opens a second connection to the same origin and path", async () => {
  const own = await start({}, (io) => io.of("/orders"));
  try {
    const a = await own.client("/", { forceNew: false });
    const b = await own.client("/orders", { forceNew: true });
    assert.notEqual(a.io, b.io, "two Managers");
    assert.notEqual(serverSocket(own.io, a).conn, serverSocket(own.io, b, "/orders").conn, "two Engine.IO connections");
    assert.equal(own.io.engine.clientsCount, 2);
  } finally {
    await own.close();
  }
});
