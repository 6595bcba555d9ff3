// Lesson 01 (welcome): the minimal server. new Server(port) listens on its own; io.on("connection")
// runs once per client with a socket whose id is the client's; and the server can push an event
// the client never asked for, straight from the connection handler.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Server } from "socket.io";
import { io as ioc } from "socket.io-client";
import { once } from "./lib.js";

test("new Server(port) listens, and a client gets the event pushed on connection without asking", async () => {
  const io = new Server(0); // the lesson's new Server(3000), on a free port
  const ids = [];
  io.on("connection", (socket) => {
    ids.push(socket.id);
    socket.emit("chat message", "welcome!");
  });
  if (!io.httpServer.listening) await once(io.httpServer, "listening");
  const port = io.httpServer.address().port;
  const c = ioc(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false });
  const sent = [];
  const origEmit = c.emit.bind(c);
  c.emit = (...args) => { sent.push(args[0]); return origEmit(...args); };
  try {
    const [text] = await once(c, "chat message");
    assert.equal(text, "welcome!");
    assert.deepEqual(sent, [], "the client emitted nothing: the server spoke first");
    assert.deepEqual(ids, [c.id], "one connection handler call, with the client's own id");
  } finally {
    c.disconnect();
    await new Promise((resolve) => io.close(() => resolve()));
  }
});

test("an event the server has no handler for reaches the server and stops there", async () => {
  const io = new Server(0);
  const arrived = [];
  io.on("connection", (socket) => {
    socket.onAny((event, ...args) => arrived.push([socket.id, event, ...args])); // watches, handles nothing
    socket.emit("chat message", "welcome!");
  });
  if (!io.httpServer.listening) await once(io.httpServer, "listening");
  const url = `http://127.0.0.1:${io.httpServer.address().port}`;
  const ada = ioc(url, { forceNew: true, reconnection: false });
  const grace = ioc(url, { forceNew: true, reconnection: false });
  const got = { ada: [], grace: [] };
  ada.onAny((ev, ...args) => got.ada.push([ev, ...args]));
  grace.onAny((ev, ...args) => got.grace.push([ev, ...args]));
  try {
    await Promise.all([once(ada, "connect"), once(grace, "connect")]);
    ada.emit("chat message", "hello from Ada");
    // Packets on one connection stay in order: once Ada's "done" has arrived, so has her message.
    io.of("/").sockets.get(ada.id).once("done", () => io.emit("done"));
    const fences = [once(ada, "done"), once(grace, "done")];
    ada.emit("done");
    await Promise.all(fences);
    assert.deepEqual(arrived, [[ada.id, "chat message", "hello from Ada"], [ada.id, "done"]]);
    assert.deepEqual(got.ada, [["chat message", "welcome!"], ["done"]], "nothing came back to Ada");
    assert.deepEqual(got.grace, [["chat message", "welcome!"], ["done"]], "nothing was passed on to Grace");
    assert.equal(ada.connected, true, "an unhandled event is no error: Ada stays connected");
  } finally {
    ada.disconnect();
    grace.disconnect();
    await new Promise((resolve) => io.close(() => resolve()));
  }
});

test("an event with an ack that no handler takes gets no answer: the client's timeout fires", async () => {
  const io = new Server(0);
  io.on("connection", () => {}); // no handlers at all
  if (!io.httpServer.listening) await once(io.httpServer, "listening");
  const c = ioc(`http://127.0.0.1:${io.httpServer.address().port}`, { forceNew: true, reconnection: false });
  try {
    await once(c, "connect");
    await assert.rejects(c.timeout(300).emitWithAck("nobody-listens", 1), /operation has timed out/);
    assert.equal(c.connected, true, "still connected: an unhandled event is no error");
  } finally {
    c.disconnect();
    await new Promise((resolve) => io.close(() => resolve()));
  }
});
