// Lesson 10 (message queues): a room emit is pub/sub (a copy for every member connected now,
// nothing kept for one that is offline), and a worker that drops out does not fail the server's
// pending emitWithAck at once: "disconnecting" runs while it is still pending, which is why the
// lesson's queue takes the job back there. The queue itself (competing consumers, redelivery,
// dead letters) runs on socket.io 4.8 in TestKindJSMatchesGo (playground/kinds_test.go).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { start, record, fence, receivers, serverSocket, once } from "./lib.js";

const servers = [];
after(() => Promise.all(servers.map((s) => s.close())));

test("a room emit gives every member its own copy, whatever the join order", async () => {
  const srv = await start();
  servers.push(srv);
  const named = {};
  for (const name of ["ana", "ben", "cy"]) {
    named[name] = record(await srv.client("/"));
    serverSocket(srv.io, named[name]).join("workers");
  }
  const shop = record(await srv.client("/"));
  srv.io.to("workers").emit("order", { id: 1 });
  await fence(srv.io.of("/"), [...Object.values(named), shop]);
  assert.deepEqual(receivers({ ...named, shop }, "order"), ["ana", "ben", "cy"]);
  for (const c of Object.values(named)) assert.equal(c.got.filter(([e]) => e === "order").length, 1);
});

test("pub/sub keeps nothing: a worker offline at the emit does not get it when it reconnects", async () => {
  const srv = await start({}, (io) => io.on("connection", (s) => s.join("workers")));
  servers.push(srv);
  const ana = record(await srv.client("/"));
  const ben = record(await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 }));
  const gone = once(serverSocket(srv.io, ben), "disconnect");
  ben.io.engine.close(); // Ben's connection drops; he reconnects by himself
  await gone;
  srv.io.to("workers").emit("news", "while Ben was away");
  await once(ben, "connect");
  assert.ok(!ben.recovered, "a new session: nothing replayed");
  srv.io.to("workers").emit("news", "after");
  await fence(srv.io.of("/"), [ana, ben]);
  assert.deepEqual(ana.got.filter(([e]) => e === "news").map(([, x]) => x), ["while Ben was away", "after"]);
  assert.deepEqual(ben.got.filter(([e]) => e === "news").map(([, x]) => x), ["after"]);
});

// lib/socket.ts: _onclose emits "disconnecting" (rooms still there), leaves the rooms, then
// "disconnect"; the acks it registered with a timeout are left to their timers.
test("a worker that drops out: disconnecting runs while the server's emitWithAck is still pending", async () => {
  const srv = await start();
  servers.push(srv);
  const worker = await srv.client("/");
  worker.on("job", () => {}); // never answers
  const s = serverSocket(srv.io, worker);
  s.join("workers");
  let settled = false;
  const pending = s.timeout(300).emitWithAck("job", { id: 1 });
  pending.then(() => (settled = true), () => (settled = true));
  const seen = new Promise((resolve) => s.on("disconnecting", () => resolve({ settled, rooms: [...s.rooms] })));
  await once(worker, "job");
  worker.disconnect();
  const inDisconnecting = await seen;
  assert.equal(inDisconnecting.settled, false, "the ack is still pending in disconnecting");
  assert.ok(inDisconnecting.rooms.includes("workers"), "and the socket is still in its rooms");
  await assert.rejects(pending, /operation has timed out/);
});
