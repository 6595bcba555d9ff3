// Lesson 04 (emit and broadcast): who receives socket.emit, io.emit and socket.broadcast.emit.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, record, fence, receivers } from "./lib.js";

let srv, A, B, C, D;

before(async () => {
  srv = await start({}, (io) => {
    io.on("connection", (socket) => {
      // The client asks; the server decides which of the three calls to make.
      socket.on("do", (scope, ev, ack) => {
        if (scope === "self") socket.emit(ev, "from the server");
        if (scope === "all") io.emit(ev, "from the server");
        if (scope === "broadcast") socket.broadcast.emit(ev, "from the server");
        if (scope === "except-id") io.except(socket.id).emit(ev, "from the server");
        ack();
      });
    });
    io.of("/other").on("connection", () => {});
  });
  [A, B, C] = await Promise.all([srv.client(), srv.client(), srv.client()]);
  D = await srv.client("/other");
  for (const c of [A, B, C, D]) record(c);
});

after(() => srv.close());

async function run(scope, ev) {
  await A.emitWithAck("do", scope, ev);
  await fence(srv.io.of("/"), [A, B, C]);
  await fence(srv.io.of("/other"), [D]);
  return receivers({ A, B, C, D }, ev);
}

test("socket.emit reaches only that one client", async () => {
  assert.deepEqual(await run("self", "e-self"), ["A"]);
});

test("io.emit reaches every client of the namespace, the sender included", async () => {
  assert.deepEqual(await run("all", "e-all"), ["A", "B", "C"]);
});

test("io.emit does not reach other namespaces", async () => {
  assert.ok(!(await run("all", "e-all-2")).includes("D"));
});

test("socket.broadcast.emit reaches everyone except the sender", async () => {
  assert.deepEqual(await run("broadcast", "e-bc"), ["B", "C"]);
});

test("there is no broadcast flag on io or on a namespace, only on a server-side socket", () => {
  assert.equal(srv.io.broadcast, undefined);
  assert.equal(srv.io.of("/").broadcast, undefined);
  const s = srv.io.of("/").sockets.get(A.id);
  assert.equal(typeof s.broadcast.emit, "function");
});

test("a client cannot broadcast: its emit only goes to the server", async () => {
  assert.equal(A.broadcast, undefined);
  const seen = new Promise((resolve) => srv.io.of("/").sockets.get(A.id).once("hello", resolve));
  A.emit("hello", "hi");
  assert.equal(await seen, "hi");
  await fence(srv.io.of("/"), [A, B, C]);
  assert.deepEqual(receivers({ A, B, C }, "hello"), []);
});

// Lesson 04: the server as a whole can leave a socket out too, by naming it: every socket is in
// a room named after its id, and io.except(room) skips that room.
test("io.except(socket.id).emit reaches the same clients as socket.broadcast.emit", async () => {
  assert.deepEqual(await run("except-id", "except-id-event"), ["B", "C"]);
  assert.deepEqual(await run("broadcast", "broadcast-twin"), ["B", "C"]);
});

// Lesson 04: "socket.broadcast.emit stays inside the socket's own namespace too" (socket.io
// lib/socket.ts: broadcast uses this.adapter, the adapter of the socket's namespace).
test("socket.broadcast.emit does not reach another namespace", async () => {
  assert.deepEqual(await run("broadcast", "bc-other-nsp"), ["B", "C"]);
  assert.ok(!D.got.some(([e]) => e === "bc-other-nsp"));
});
