// Lesson 08 (acknowledgements): acks both ways, timeouts and their error message, broadcast acks.
// Also the ack-based delivery the later lessons teach (docs/claims.md lists them under their
// lesson): client retries, at-least-once so duplicates (lesson 10), and volatile (lesson 12).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, record, fence, receivers, serverSocket, once } from "./lib.js";

let srv;
const orders = new Map(); // orderId -> number of times the server saw it
let calls = 0;

before(async () => {
  srv = await start({}, (io) => {
    io.on("connection", (socket) => {
      socket.on("order", (order, ack) => {
        calls++;
        ack({ status: "stored", id: order.id });
      });
      socket.on("slow", () => {}); // never calls the callback
      // Retries demo: the first copy is "lost" (not acknowledged), the resend is acknowledged.
      socket.on("pay", (payment, ack) => {
        const n = (orders.get(payment.id) ?? 0) + 1;
        orders.set(payment.id, n);
        if (n === 1) return; // pretend the ack got lost
        ack({ status: "paid", id: payment.id });
      });
      socket.on("seen", (ev, ack) => ack());
    });
  });
});

after(() => srv.close());

test("client to server: the handler gets a callback as last argument; its reply comes back", async () => {
  const c = await srv.client();
  const reply = await new Promise((resolve) => c.emit("order", { id: 1 }, resolve));
  assert.deepEqual(reply, { status: "stored", id: 1 });
  assert.deepEqual(await c.emitWithAck("order", { id: 2 }), { status: "stored", id: 2 });
  c.disconnect();
});

test("server to client: the same, in the other direction", async () => {
  const c = await srv.client();
  c.on("rate-us", (question, callback) => callback(5));
  const s = serverSocket(srv.io, c);
  assert.equal(await s.emitWithAck("rate-us", "how was it?"), 5);
  c.disconnect();
});

test("client timeout: the callback gets an Error 'operation has timed out'", async () => {
  const c = await srv.client();
  const err = await new Promise((resolve) => c.timeout(100).emit("slow", "hi", (err) => resolve(err)));
  assert.ok(err instanceof Error);
  assert.equal(err.message, "operation has timed out");
  await assert.rejects(c.timeout(100).emitWithAck("slow", "hi"), { message: "operation has timed out" });
  c.disconnect();
});

test("server timeout: same message; emitWithAck rejects", async () => {
  const c = await srv.client(); // registers no handler: it never answers
  const s = serverSocket(srv.io, c);
  const err = await new Promise((resolve) => s.timeout(100).emit("anyone-there", (err) => resolve(err)));
  assert.equal(err.message, "operation has timed out");
  await assert.rejects(s.timeout(100).emitWithAck("anyone-there"), { message: "operation has timed out" });
  c.disconnect();
});

test("broadcast ack: one response per recipient, and an error if one stays silent", async () => {
  const a = await srv.client();
  const b = await srv.client();
  a.on("vote", (cb) => cb("yes"));
  b.on("vote", (cb) => cb("no"));
  const responses = await srv.io.timeout(1000).emitWithAck("vote");
  assert.deepEqual(responses.sort(), ["no", "yes"]);

  const silent = await srv.client(); // does not answer "vote"
  const [err, partial] = await new Promise((resolve) =>
    srv.io.timeout(200).emit("vote", (err, responses) => resolve([err, responses])));
  assert.equal(err.message, "operation has timed out");
  assert.deepEqual(partial.sort(), ["no", "yes"]);
  for (const c of [a, b, silent]) c.disconnect();
});

test("retries: the client resends until acknowledged, so the server can see a message twice", async () => {
  const c = await srv.client("/", { ackTimeout: 150, retries: 3 });
  const reply = await c.emitWithAck("pay", { id: "p-1", amount: 12 });
  assert.deepEqual(reply, { status: "paid", id: "p-1" });
  assert.equal(orders.get("p-1"), 2, "at-least-once: the server received the same payment twice");
});

test("a client buffers normal emits while disconnected and sends them on connect; volatile ones are dropped", async () => {
  const c = srv.socket("/", { autoConnect: false });
  const got = [];
  srv.io.once("connection", (s) => s.onAny((ev, ...args) => got.push(ev)));
  c.volatile.emit("volatile-while-offline");
  c.emit("normal-while-offline");
  c.connect();
  await once(c, "connect");
  await c.emitWithAck("seen", "marker"); // arrives after anything sent before it
  assert.deepEqual(got, ["normal-while-offline", "seen"]);
  c.disconnect();
});

test("volatile on a healthy WebSocket connection is delivered like any emit", async () => {
  const c = record(await srv.client("/", { transports: ["websocket"] }));
  serverSocket(srv.io, c).volatile.emit("tick", 1);
  await fence(srv.io.of("/"), [c]);
  assert.deepEqual(receivers({ c }, "tick"), ["c"]);
  c.disconnect();
});

test("volatile is dropped when the connection cannot write right then (between two long-polling requests)", async () => {
  // Polling only. When "connect" fires, the client has just received the poll response that
  // carried the CONNECT packet; the server has no GET waiting until the next request arrives,
  // which cannot happen before this same-process task ends. A normal emit waits in the buffer.
  const c = record(await srv.client("/", { transports: ["polling"] }));
  const s = serverSocket(srv.io, c);
  assert.equal(s.conn.transport.writable, false, "no poll request is waiting right now");
  s.volatile.emit("volatile-tick");
  s.emit("normal-tick");
  await fence(srv.io.of("/"), [c]);
  assert.deepEqual(c.got.map(([e]) => e), ["normal-tick", "fence"]);
  c.disconnect();
});

test("after a disconnect, normal emits wait in the client's buffer until it reconnects; volatile ones do not", async () => {
  const c = await srv.client();
  c.disconnect();
  const got = [];
  srv.io.once("connection", (s) => s.onAny((ev) => got.push(ev)));
  c.volatile.emit("volatile-while-offline");
  c.emit("normal-while-offline");
  c.connect();
  await once(c, "connect");
  await c.emitWithAck("seen", "marker");
  assert.deepEqual(got, ["normal-while-offline", "seen"]);
  c.disconnect();
});

test("without a timeout, a disconnect does not call a client's ack callback; with one, it gets an error", async () => {
  const c = await srv.client();
  let called = false;
  c.emit("slow", "no timeout", () => { called = true; });
  const withTimeout = new Promise((resolve) => c.timeout(60_000).emit("slow", "timeout", (err) => resolve(err)));
  c.disconnect();
  const err = await withTimeout;
  assert.equal(err.message, "socket has been disconnected");
  assert.equal(called, false);
});

// Lesson 10: with retries, the client sends one acked emit at a time (the next one waits in its
// queue), and a handler that never acknowledges gets the message retries + 1 times before the
// client gives up.
test("retries: emits go one at a time, and a silent handler gets retries + 1 copies", async () => {
  const c = await srv.client("/", { ackTimeout: 60, retries: 2 });
  const seen = [];
  const s = serverSocket(srv.io, c);
  s.onAny((ev) => seen.push(ev));
  const slow = c.emitWithAck("slow"); // never acknowledged
  const order = c.emitWithAck("order", { id: "after-slow" }); // waits behind it
  await assert.rejects(slow, /operation has timed out/);
  assert.deepEqual(await order, { status: "stored", id: "after-slow" });
  assert.deepEqual(seen, ["slow", "slow", "slow", "order"], "3 copies of slow, then order");
  c.disconnect();
});

// Lesson 08, where the Go hub differs: on socket.io, a server's pending emitWithAck is not
// failed when the client disconnects; it waits for its timeout (lib/socket.ts registers the ack
// with a timer only). The Go hub fails it at once with ErrDisconnected.
test("server emitWithAck: a client that disconnects makes it fail only when its timeout fires", async () => {
  const c = await srv.client("/");
  c.on("never-answered", () => {});
  const s = serverSocket(srv.io, c);
  const started = Date.now();
  const pending = s.timeout(300).emitWithAck("never-answered");
  let settledAtDisconnect = false;
  pending.catch(() => {});
  const gone = once(s, "disconnect");
  c.disconnect();
  await gone;
  await Promise.race([pending.then(() => (settledAtDisconnect = true), () => (settledAtDisconnect = true)), new Promise((r) => setImmediate(r))]);
  assert.equal(settledAtDisconnect, false, "still pending right after the disconnect");
  await assert.rejects(pending, /operation has timed out/);
  assert.ok(Date.now() - started >= 250, "rejected by the timeout, not by the disconnect");
});

// Lesson 08: the receiver calls the callback "(once)": an acknowledgement is honoured once.
// socket.io lib/socket.ts ack(): "prevent double callbacks" (a sent flag); socket.io-client
// lib/socket.ts onack(): the ack id is deleted after its first reply.
test("an acknowledgement is honoured once: a second call of the callback sends nothing", async () => {
  const c = await srv.client();
  const s = serverSocket(srv.io, c);
  let serverAcks = 0;
  s.conn.on("packetCreate", (p) => p.type === "message" && p.data[0] === "3" && serverAcks++);
  s.on("twice", (cb) => { cb("first"); cb("second"); });
  const replies = [];
  await new Promise((resolve) => c.emit("twice", (r) => { replies.push(r); resolve(); }));
  assert.equal(await c.emitWithAck("order", { id: "after" }).then((r) => r.id), "after"); // a later packet: the second ack would have come first
  assert.deepEqual(replies, ["first"]);
  assert.equal(serverAcks, 2, "two acks left the server: 'first' and the order's; 'second' never did");

  // The other direction: a client's handler that calls back twice.
  let clientAcks = 0;
  c.io.engine.on("packetCreate", (p) => p.type === "message" && p.data[0] === "3" && clientAcks++);
  c.on("ask-twice", (cb) => { cb(1); cb(2); });
  const got = [];
  await new Promise((resolve) => s.emit("ask-twice", (r) => { got.push(r); resolve(); }));
  await c.emitWithAck("order", { id: "fence" }); // sent after any second ack: the server has read both
  assert.deepEqual(got, [1]);
  assert.equal(clientAcks, 1, "the client sent one ack");
  c.disconnect();
});

// Lesson 8's prediction (the acks demo's server asks one client with io.to(id).timeout(ms)):
// silence is an error, never an empty list of answers.
test("io.to(id).timeout(ms).emitWithAck: a client that never answers makes it reject with 'operation has timed out'", async () => {
  const silent = await srv.client(); // no "question" handler: it never answers
  await assert.rejects(srv.io.to(silent.id).timeout(150).emitWithAck("question", "Are you there?"), { message: "operation has timed out" });
  const answering = await srv.client();
  answering.on("question", (question, cb) => cb("yes"));
  assert.deepEqual(await srv.io.to(answering.id).timeout(1000).emitWithAck("question", "Are you there?"), ["yes"]);
  silent.disconnect();
  answering.disconnect();
});
