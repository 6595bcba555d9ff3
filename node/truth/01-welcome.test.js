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
