// Lesson 14 (bring your own client): a Node socket.io-client connects to a server mounted at a
// custom path (like a Socket Lab demo instance, /play/<id>/socket.io/), sends auth, and talks.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, serverSocket, once } from "./lib.js";

const path = "/play/k3x9q/socket.io/";
let srv;

before(async () => {
  srv = await start({ path }, (io) => {
    io.on("connection", (socket) => {
      socket.emit("welcome", `hello ${socket.handshake.auth.name ?? "stranger"}`);
      socket.on("chat message", (msg) => io.emit("chat message", msg));
    });
  });
});

after(() => srv.close());

test("with the right path, a Node client connects, gets its welcome and talks", async () => {
  const c = srv.socket("/", { path, auth: { name: "Ada" } });
  const [welcome] = await once(c, "welcome");
  assert.equal(welcome, "hello Ada");
  assert.deepEqual(serverSocket(srv.io, c).handshake.auth, { name: "Ada" });
  const echoed = once(c, "chat message");
  c.emit("chat message", "hi from Node");
  assert.deepEqual(await echoed, ["hi from Node"]);
  c.disconnect();
});

test("without the path option the client asks /socket.io/, gets a 404 and a connect_error", async () => {
  const c = srv.socket("/");
  const [err] = await once(c, "connect_error");
  assert.equal(err.message, "xhr poll error");
  assert.equal(err.description, 404);
  assert.equal(c.connected, false);
});

test("transports: ['websocket'] skips long-polling and opens a WebSocket directly", async () => {
  const c = await srv.client("/", { path, transports: ["websocket"] });
  assert.equal(c.io.engine.transport.name, "websocket");
  c.disconnect();
});

test("by default the client starts with long-polling and then upgrades", async () => {
  const c = srv.socket("/", { path });
  assert.equal(c.io.engine.transport.name, "polling");
  await once(c.io.engine, "upgrade");
  assert.equal(c.io.engine.transport.name, "websocket");
  c.disconnect();
});

test("the id the client sees is the id the server logs", async () => {
  const c = await srv.client("/", { path });
  assert.equal(serverSocket(srv.io, c).id, c.id);
  const id = c.id;
  c.disconnect();
  assert.equal(c.id, undefined, "cleared on disconnect");
  assert.equal(typeof id, "string");
});

// Lesson 14 quiz: an emit made before the connection opens waits in the client's send buffer and
// goes out on connect (socket.io-client Socket#emit pushes to sendBuffer while disconnected), and
// the server's io.emit relay includes the sender, so the script sees its own message.
test("an emit made before connect is sent on connect, and io.emit brings it back to the sender", async () => {
  const c = srv.socket("/", { path });
  const echoed = once(c, "chat message");
  c.emit("chat message", "hi");
  assert.equal(c.connected, false, "emitted before the connection was open");
  assert.deepEqual(await echoed, ["hi"]);
  c.disconnect();
});

// Lesson 14 quiz: the socket id is not the Engine.IO connection's id (separate since Socket.IO 3).
test("socket.id and socket.io.engine.id are two different ids", async () => {
  const c = await srv.client("/", { path });
  assert.equal(typeof c.io.engine.id, "string");
  assert.notEqual(c.id, c.io.engine.id);
  assert.equal(serverSocket(srv.io, c).conn.id, c.io.engine.id, "engine.id names the connection");
  c.disconnect();
});
