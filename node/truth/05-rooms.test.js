// Lesson 05 (rooms): own-id room, join/leave on the server, to/in/except, each socket once,
// private messages, rooms left on disconnect, and that a client has no way to join by itself.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, record, fence, receivers, serverSocket, once } from "./lib.js";

let srv, A, B, C;
const nsp = () => srv.io.of("/");

before(async () => {
  srv = await start({}, (io) => {
    io.on("connection", (socket) => {
      // The client asks to join; the server decides (here: only rooms named "room-*").
      socket.on("join", (room, ack) => {
        if (!/^room-/.test(room)) return ack({ ok: false });
        socket.join(room);
        ack({ ok: true });
      });
      socket.on("leave", (room, ack) => {
        socket.leave(room);
        ack({ ok: true });
      });
      socket.on("do", (op, ev, ack) => {
        if (op === "io.to(room-1)") io.to("room-1").emit(ev);
        if (op === "io.in(room-1)") io.in("room-1").emit(ev);
        if (op === "socket.to(room-1)") socket.to("room-1").emit(ev);
        if (op === "io.to(room-1).to(room-2)") io.to("room-1").to("room-2").emit(ev);
        if (op === "io.to([room-1,room-2])") io.to(["room-1", "room-2"]).emit(ev);
        if (op === "io.except(room-1)") io.except("room-1").emit(ev);
        if (op === "io.to(room-2).except(room-1)") io.to("room-2").except("room-1").emit(ev);
        if (op === "socket.to(socket.id)") socket.to(socket.id).emit(ev);
        if (op === "io.to(unknown)") io.to("nobody-is-here").emit(ev);
        ack();
      });
      socket.on("whisper", (to, text, ack) => {
        io.to(to).emit("private", { from: socket.id, text });
        ack();
      });
    });
  });
  [A, B, C] = await Promise.all([srv.client(), srv.client(), srv.client()]);
  for (const c of [A, B, C]) record(c);
  // A: room-1; B: room-1 and room-2; C: room-2.
  await A.emitWithAck("join", "room-1");
  await B.emitWithAck("join", "room-1");
  await B.emitWithAck("join", "room-2");
  await C.emitWithAck("join", "room-2");
});

after(() => srv.close());

async function run(op, ev, by = A) {
  await by.emitWithAck("do", op, ev);
  await fence(nsp(), [A, B, C]);
  return receivers({ A, B, C }, ev);
}

test("on connect a socket is already in one room: its own id", async () => {
  const x = await srv.client();
  assert.deepEqual([...serverSocket(srv.io, x).rooms], [x.id]);
  x.disconnect();
});

test("join is a server-side call: the client asks with an event and the server decides", async () => {
  assert.equal(A.join, undefined, "a client socket has no join method");
  assert.deepEqual(await A.emitWithAck("join", "vip"), { ok: false });
  assert.ok(!serverSocket(srv.io, A).rooms.has("vip"));
  assert.ok(serverSocket(srv.io, A).rooms.has("room-1"));
});

test("rooms are never told to the client", () => {
  assert.equal(A.rooms, undefined);
});

test("io.to(room).emit reaches every member, the acting socket included", async () => {
  assert.deepEqual(await run("io.to(room-1)", "r1"), ["A", "B"]);
});

test("io.in(room) is another name for io.to(room)", async () => {
  assert.deepEqual(await run("io.in(room-1)", "in-r1"), ["A", "B"]);
});

test("socket.to(room).emit reaches the members except the sender", async () => {
  assert.deepEqual(await run("socket.to(room-1)", "r1-but-me"), ["B"]);
});

test("several rooms at once: each socket receives the event once", async () => {
  assert.deepEqual(await run("io.to(room-1).to(room-2)", "r12"), ["A", "B", "C"]);
  assert.equal(B.got.filter(([e]) => e === "r12").length, 1);
  assert.deepEqual(await run("io.to([room-1,room-2])", "r12-array"), ["A", "B", "C"]);
  assert.equal(B.got.filter(([e]) => e === "r12-array").length, 1);
});

test("io.except(room).emit reaches everyone not in the room", async () => {
  assert.deepEqual(await run("io.except(room-1)", "not-r1"), ["C"]);
});

test("to(b).except(a): exclusion wins", async () => {
  assert.deepEqual(await run("io.to(room-2).except(room-1)", "r2-not-r1"), ["C"]);
});

test("io.to(socketId).emit is a private message; socket.to(socket.id) reaches nobody", async () => {
  await A.emitWithAck("whisper", C.id, "psst");
  await fence(nsp(), [A, B, C]);
  assert.deepEqual(receivers({ A, B, C }, "private"), ["C"]);
  assert.deepEqual(C.got.find(([e]) => e === "private")[1], { from: A.id, text: "psst" });
  assert.deepEqual(await run("socket.to(socket.id)", "to-myself"), []);
});

test("a room nobody is in: no one receives, no error", async () => {
  assert.deepEqual(await run("io.to(unknown)", "void"), []);
});

test("leave is a server-side call too", async () => {
  const x = record(await srv.client());
  await x.emitWithAck("join", "room-9");
  assert.ok(serverSocket(srv.io, x).rooms.has("room-9"));
  await x.emitWithAck("leave", "room-9");
  assert.ok(!serverSocket(srv.io, x).rooms.has("room-9"));
  assert.equal(nsp().adapter.rooms.has("room-9"), false, "an emptied room is deleted");
  x.disconnect();
});

test("on disconnect every room is left: still visible in disconnecting, empty in disconnect", async () => {
  const x = await srv.client();
  await x.emitWithAck("join", "room-7");
  const s = serverSocket(srv.io, x);
  const inDisconnecting = new Promise((resolve) => s.on("disconnecting", () => resolve(new Set(s.rooms))));
  const inDisconnect = new Promise((resolve) => s.on("disconnect", (reason) => resolve([reason, new Set(s.rooms)])));
  x.disconnect();
  assert.deepEqual([...(await inDisconnecting)].sort(), [s.id, "room-7"].sort());
  const [reason, rooms] = await inDisconnect;
  assert.equal(reason, "client namespace disconnect");
  assert.equal(rooms.size, 0);
  assert.equal(nsp().adapter.rooms.has("room-7"), false);
  assert.equal(nsp().adapter.rooms.has(s.id), false);
});

test("in disconnecting the socket can still tell its rooms it is leaving", async () => {
  const x = await srv.client();
  await x.emitWithAck("join", "room-1");
  const s = serverSocket(srv.io, x);
  const id = s.id;
  s.on("disconnecting", () => {
    for (const room of s.rooms) if (room !== s.id) s.to(room).emit("left", s.id);
  });
  const heardByA = new Promise((resolve) => A.once("left", resolve));
  const heardByB = new Promise((resolve) => B.once("left", resolve));
  x.disconnect();
  assert.deepEqual(await Promise.all([heardByA, heardByB]), [id, id]);
  await fence(nsp(), [A, B, C]);
  assert.deepEqual(receivers({ A, B, C }, "left"), ["A", "B"]);
});
