// Lesson 02 (the chat example): the server relays every chat message to everyone with io.emit,
// the sender included, and everyone sees the messages in the same order.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start } from "./lib.js";

let srv, ada, grace, linus;

before(async () => {
  srv = await start({}, (io) => {
    io.on("connection", (socket) => {
      socket.on("chat message", (msg) => {
        io.emit("chat message", msg);
      });
    });
  });
  [ada, grace, linus] = await Promise.all([srv.client(), srv.client(), srv.client()]);
});

after(() => srv.close());

test("one message reaches all three people, the sender included", async () => {
  const seen = new Map();
  const all = Promise.all(Object.entries({ ada, grace, linus }).map(([name, c]) =>
    new Promise((resolve) => c.once("chat message", (msg) => resolve(seen.set(name, msg))))));
  ada.emit("chat message", "hello from Ada");
  await all;
  assert.deepEqual(Object.fromEntries(seen), {
    ada: "hello from Ada",
    grace: "hello from Ada",
    linus: "hello from Ada",
  });
});

test("everyone sees the same conversation, in the same order", async () => {
  const logs = { ada: [], grace: [], linus: [] };
  for (const [name, c] of Object.entries({ ada, grace, linus })) {
    c.on("chat message", (msg) => logs[name].push(msg));
  }
  ada.emit("chat message", "A1");
  grace.emit("chat message", "G1");
  ada.emit("chat message", "A2");
  linus.emit("chat message", "L1");
  grace.emit("chat message", "G2");
  // Wait until every client has all five, then compare.
  await Promise.all(Object.values({ ada, grace, linus }).map((c, i) => new Promise((resolve) => {
    const log = Object.values(logs)[i];
    const check = () => log.length === 5 && resolve();
    c.on("chat message", check);
    check();
  })));
  assert.deepEqual(logs.grace, logs.ada);
  assert.deepEqual(logs.linus, logs.ada);
  // One sender's messages keep their order.
  assert.deepEqual(logs.ada.filter((m) => m.startsWith("A")), ["A1", "A2"]);
  assert.deepEqual(logs.ada.filter((m) => m.startsWith("G")), ["G1", "G2"]);
});

test("the chat is not stored: someone who joins later does not see earlier messages", async () => {
  const late = await srv.client();
  const got = [];
  late.on("chat message", (m) => got.push(m));
  ada.emit("chat message", "after Late joined");
  await new Promise((resolve) => late.once("chat message", resolve));
  assert.deepEqual(got, ["after Late joined"]);
  late.disconnect();
});
