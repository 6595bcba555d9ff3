// Lesson 09 (message queues): without help, a disconnected client misses what was sent; a
// server-side queue with acks delivers later (at-least-once); Socket.IO's connection state
// recovery replays missed packets after a short, unexpected drop (same id, same rooms).
import { test, after, mock } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { start, record, fence, receivers, serverSocket, once } from "./lib.js";

const servers = [];
after(() => Promise.all(servers.map((s) => s.close())));

test("without recovery, a client that is offline misses a broadcast for good", async () => {
  const srv = await start();
  servers.push(srv);
  const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
  const firstId = c.id;
  const got = [];
  c.on("news", (x) => got.push(x));
  const dropped = once(serverSocket(srv.io, c), "disconnect");
  c.io.engine.close(); // the connection is lost (the client reconnects by itself)
  await dropped;
  srv.io.emit("news", "sent while offline");
  await once(c, "connect");
  assert.ok(!c.recovered);
  assert.notEqual(c.id, firstId, "a new socket, a new id");
  srv.io.emit("news", "sent after reconnect");
  await fence(srv.io.of("/"), [c]);
  assert.deepEqual(got, ["sent after reconnect"]);
});

test("connection state recovery: same id, rooms back, missed packets replayed", async () => {
  const srv = await start({ connectionStateRecovery: { maxDisconnectionDuration: 60_000 } }, (io) => {
    io.on("connection", (socket) => {
      if (!socket.recovered) socket.join("drivers");
      socket.on("ready", (ack) => ack());
    });
  });
  servers.push(srv);
  const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
  const firstId = c.id;
  const got = [];
  c.on("news", (x) => got.push(x));
  await c.emitWithAck("ready"); // the "connection" handler has run
  srv.io.to("drivers").emit("news", "one"); // recovery needs one server event before the drop
  await fence(srv.io.of("/"), [c]);

  const s = serverSocket(srv.io, c);
  const dropped = new Promise((resolve) => s.on("disconnect", (reason) => {
    // Sent while the client is away: the server keeps it for the recovery window.
    srv.io.to("drivers").emit("news", "two");
    srv.io.to("drivers").emit("news", "three");
    resolve(reason);
  }));
  c.io.engine.close();
  assert.equal(await dropped, "transport close");
  await once(c, "connect");
  assert.equal(c.recovered, true);
  assert.equal(c.id, firstId, "the same socket id");
  const again = serverSocket(srv.io, c);
  assert.equal(again.recovered, true);
  assert.ok(again.rooms.has("drivers"), "its rooms are restored");
  await fence(srv.io.of("/"), [c]);
  assert.deepEqual(got, ["one", "two", "three"]);
});

test("connection state recovery does not apply to a kick (server disconnect)", async () => {
  const srv = await start({ connectionStateRecovery: {} });
  servers.push(srv);
  const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
  const firstId = c.id;
  srv.io.emit("hello");
  await fence(srv.io.of("/"), [c]);
  const gone = once(c, "disconnect");
  serverSocket(srv.io, c).disconnect();
  const [reason] = await gone;
  assert.equal(reason, "io server disconnect");
  assert.equal(c.active, false, "no automatic reconnection after a kick");
  c.connect();
  await once(c, "connect");
  assert.equal(c.recovered, false);
  assert.notEqual(c.id, firstId);
});

// The server-side queue from the lesson (pickup/delivery app), plus a "done" signal for the test.
function courierHub(io, ackTimeout = 10_000) {
  const queues = new Map(); // courier id -> jobs not yet acknowledged, oldest first
  const online = new Map(); // courier id -> their socket, while connected
  const done = new EventEmitter();

  io.on("connection", (socket) => {
    const courier = socket.handshake.auth.courier; // a real app checks a token in middleware
    online.set(courier, socket);
    socket.on("disconnect", () => {
      if (online.get(courier) === socket) online.delete(courier);
    });
    for (const job of queues.get(courier) ?? []) send(courier, job);
  });

  function dispatch(courier, job) {
    if (!queues.has(courier)) queues.set(courier, []);
    queues.get(courier).push(job);
    send(courier, job);
  }

  async function send(courier, job) {
    const socket = online.get(courier);
    if (!socket) return; // offline: the job waits in the queue
    try {
      await socket.timeout(ackTimeout).emitWithAck("delivery", job);
      queues.set(courier, queues.get(courier).filter((j) => j !== job)); // acknowledged: done
      done.emit("acked", job.id);
    } catch {
      // no ack in time (or the courier dropped): keep it, it goes out again on the next connection
      done.emit("kept", job.id);
    }
  }
  return { queues, dispatch, done };
}

test("a server-side queue holds jobs for an offline courier and delivers them, acked, on connect", async () => {
  let hub;
  const srv = await start({}, (io) => (hub = courierHub(io)));
  servers.push(srv);
  hub.dispatch("c-42", { id: "job-1", pickup: "Bakery, 3 Elm St" });
  hub.dispatch("c-42", { id: "job-2", pickup: "Florist, 9 Oak Ave" });
  assert.equal(hub.queues.get("c-42").length, 2, "nobody online: both wait");

  const seen = [];
  const c = srv.socket("/", { auth: { courier: "c-42" } });
  c.on("delivery", (job, ack) => { seen.push(job.id); ack("got it"); });
  const acked = [];
  await new Promise((resolve) => hub.done.on("acked", (id) => acked.push(id) === 2 && resolve()));
  assert.deepEqual(acked, ["job-1", "job-2"]);
  assert.deepEqual(seen, ["job-1", "job-2"]);
  assert.equal(hub.queues.get("c-42").length, 0, "acknowledged jobs leave the queue");
});

test("a job delivered but not acknowledged stays queued and is delivered again (so the app dedupes)", async () => {
  let hub;
  // A disconnect does not cancel a pending ack: the timeout decides. Keep it short here.
  const srv = await start({}, (io) => (hub = courierHub(io, 300)));
  servers.push(srv);
  const c1 = srv.socket("/", { auth: { courier: "c-7" } });
  await once(c1, "connect");
  const arrived = once(c1, "delivery");
  const kept = once(hub.done, "kept");
  hub.dispatch("c-7", { id: "job-9", pickup: "Pharmacy" });
  await arrived; // it reached the phone, but the phone dies before acknowledging
  c1.disconnect();
  await kept;
  assert.equal(hub.queues.get("c-7").length, 1);

  const c2 = srv.socket("/", { auth: { courier: "c-7" } });
  const handled = new Set();
  const acked = once(hub.done, "acked");
  c2.on("delivery", (job, ack) => {
    if (!handled.has(job.id)) handled.add(job.id); // show each job once, even if it comes twice
    ack("got it");
  });
  await acked;
  assert.deepEqual([...handled], ["job-9"]);
  assert.equal(hub.queues.get("c-7").length, 0);
});

test("connection state recovery does not apply when the client disconnects on purpose", async () => {
  const srv = await start({ connectionStateRecovery: {} });
  servers.push(srv);
  const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
  const firstId = c.id;
  srv.io.emit("hello");
  await fence(srv.io.of("/"), [c]);
  const gone = once(serverSocket(srv.io, c), "disconnect");
  c.disconnect();
  assert.equal((await gone)[0], "client namespace disconnect");
  c.connect();
  await once(c, "connect");
  assert.equal(c.recovered, false);
  assert.notEqual(c.id, firstId);
});

test("connection state recovery needs one server event before the drop (its bookmark)", async () => {
  const srv = await start({ connectionStateRecovery: {} });
  servers.push(srv);
  const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
  const firstId = c.id;
  const gone = once(serverSocket(srv.io, c), "disconnect");
  c.io.engine.close(); // no event was ever received: no offset to resume from
  await gone;
  await once(c, "connect");
  assert.equal(c.recovered, false);
  assert.notEqual(c.id, firstId);
});

test("connection state recovery does not store volatile events or events with an ack", async () => {
  const srv = await start({ connectionStateRecovery: {} });
  servers.push(srv);
  const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
  const got = [];
  c.onAny((ev) => got.push(ev));
  c.on("ask", (cb) => cb("answer"));
  srv.io.emit("first");
  await fence(srv.io.of("/"), [c]);
  const s = serverSocket(srv.io, c);
  const acked = new Promise((resolve) => s.on("disconnect", () => {
    srv.io.volatile.emit("volatile-missed");
    srv.io.timeout(50).emit("ask", (err, responses) => resolve(responses));
    srv.io.emit("normal-missed");
  }));
  c.io.engine.close();
  await once(c, "connect");
  assert.equal(c.recovered, true);
  await fence(srv.io.of("/"), [c]);
  assert.deepEqual(await acked, [], "nobody was there to answer");
  assert.deepEqual(got, ["first", "fence", "normal-missed", "fence"]);
});

// Lesson 09, quiz question 1: the answer depends on connection state recovery. With it on,
// socket.emit goes through the adapter to the socket's own room and is stored with an offset
// (socket.io lib/socket.ts emit(): "this ensures the packet is stored and can be transmitted
// upon reconnection"), so a client back within the window gets it; without it, it is lost.
test("socket.emit on a dropped socket: replayed with recovery after a short drop, lost without", async () => {
  for (const recovery of [true, false]) {
    const srv = await start(recovery ? { connectionStateRecovery: {} } : {});
    servers.push(srv);
    const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
    const got = [];
    c.on("job", (j) => got.push(j));
    srv.io.emit("hello"); // recovery's bookmark
    await fence(srv.io.of("/"), [c]);
    const old = serverSocket(srv.io, c);
    const dropped = new Promise((resolve) => old.on("disconnect", () => {
      old.emit("job", "job-1"); // on his old socket, while he is away
      resolve();
    }));
    c.io.engine.close();
    await dropped;
    await once(c, "connect");
    assert.equal(Boolean(c.recovered), recovery);
    await fence(srv.io.of("/"), [c]);
    assert.deepEqual(got, recovery ? ["job-1"] : [], `recovery ${recovery}`);
  }
});

// Lesson 09, quiz question 1 (recovery on, the client back an hour later): the session expires
// after maxDisconnectionDuration (socket.io-adapter SessionAwareAdapter.restoreSession:
// "hasExpired = session.disconnectedAt + this.maxDisconnectionDuration < Date.now()"), so the
// client gets a new session and the socket.emit made on its old socket is never delivered.
// Only Date is mocked (an hour passes at once); sockets and their timers run for real.
test("socket.emit on a dropped socket, recovery on, the client back after the window: lost", async () => {
  const srv = await start({ connectionStateRecovery: {} }); // the default window: two minutes
  servers.push(srv);
  const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
  const firstId = c.id;
  const got = [];
  c.on("job", (j) => got.push(j));
  srv.io.emit("hello"); // recovery's bookmark
  await fence(srv.io.of("/"), [c]);
  const old = serverSocket(srv.io, c);
  mock.timers.enable({ apis: ["Date"], now: Date.now() });
  try {
    const dropped = new Promise((resolve) => old.on("disconnect", () => {
      old.emit("job", "job-1"); // on his old socket, while he is away
      mock.timers.tick(60 * 60 * 1000); // an hour passes before he is back
      resolve();
    }));
    c.io.engine.close();
    await dropped;
    await once(c, "connect");
  } finally {
    mock.timers.reset();
  }
  assert.equal(c.recovered, false, "the session expired");
  assert.notEqual(c.id, firstId, "a new session, a new id");
  await fence(srv.io.of("/"), [c]);
  assert.deepEqual(got, [], "the job is lost");
});

// Lesson 09 (and 06): a recovered connection skips middleware unless skipMiddlewares is false
// (socket.io docs, "Connection state recovery": skipMiddlewares defaults to true), and gets its
// socket.data back.
test("a recovered connection skips middleware by default, runs it with skipMiddlewares: false, and keeps socket.data", async () => {
  for (const [opts, wantRuns] of [[{}, 1], [{ skipMiddlewares: false }, 2]]) {
    let runs = 0;
    const srv = await start({ connectionStateRecovery: opts }, (io) => {
      io.use((socket, next) => {
        runs++;
        next();
      });
      io.on("connection", (socket) => {
        if (!socket.recovered) socket.data.user = "ravi";
      });
    });
    servers.push(srv);
    const c = await srv.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
    srv.io.emit("hello"); // the bookmark
    await fence(srv.io.of("/"), [c]);
    const gone = once(serverSocket(srv.io, c), "disconnect");
    c.io.engine.close();
    await gone;
    await once(c, "connect");
    assert.equal(c.recovered, true);
    assert.equal(runs, wantRuns, `middleware runs with ${JSON.stringify(opts)}`);
    assert.equal(serverSocket(srv.io, c).data.user, "ravi", "socket.data is restored");
  }
});

// Lesson 9's prediction: the jobs that waited arrive once each, in order, and once acknowledged
// they are gone: the next connection gets nothing again.
test("queued jobs arrive once each on connect; acknowledged, the next connection gets none again", async () => {
  let hub;
  const srv = await start({}, (io) => (hub = courierHub(io)));
  servers.push(srv);
  hub.dispatch("c-5", { id: "job-1", pickup: "Bakery, 3 Elm St" });
  hub.dispatch("c-5", { id: "job-2", pickup: "Florist, 9 Oak Ave" });
  const seen = [];
  const acked = new Promise((resolve) => {
    const ids = [];
    hub.done.on("acked", (id) => ids.push(id) === 2 && resolve(ids));
  });
  const c1 = srv.socket("/", { auth: { courier: "c-5" } });
  c1.on("delivery", (job, ack) => { seen.push(job.id); ack("got it"); });
  assert.deepEqual(await acked, ["job-1", "job-2"]);
  assert.deepEqual(seen, ["job-1", "job-2"], "each job once, in order");
  assert.equal(hub.queues.get("c-5").length, 0);
  c1.disconnect();

  const c2 = srv.socket("/", { auth: { courier: "c-5" } });
  c2.on("delivery", (job, ack) => { seen.push(job.id); ack("got it"); });
  await once(c2, "connect");
  await fence(srv.io.of("/"), [c2]); // anything the connection handler sent arrived before this
  assert.deepEqual(seen, ["job-1", "job-2"], "nothing delivered again");
  c2.disconnect();
});
