// The real npm socket.io-client against Socket Lab's Go hub.
//
// Run by the Go test TestNodeClient (playground_node_test.go), which starts the hub on 127.0.0.1 with
// the handlers described there and passes its URL in HUB_URL. Every test here is event-driven and
// bounded; nothing waits on a fixed sleep.
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { clients, once, ackAll, connected } from "./lib.js";

const URL = process.env.HUB_URL;
if (!URL) throw new Error("HUB_URL is not set: run this through `go test -run TestNodeClient .`");
const client = clients(URL);

test("default options: polling first, then the upgrade to WebSocket", async () => {
  const s = client();
  const first = await new Promise((resolve) => s.io.once("open", () => resolve(s.io.engine.transport.name)));
  assert.equal(first, "polling");
  await connected(s);
  if (s.io.engine.transport.name !== "websocket") await once(s.io.engine, "upgrade");
  assert.equal(s.io.engine.transport.name, "websocket");
  assert.deepEqual(await ackAll(s, "echo", "after upgrade", 42), ["after upgrade", 42]);
  assert.match(s.id, /^[A-Za-z0-9_-]{16,}$/);
  assert.notEqual(s.id, s.io.engine.id, "socket id must differ from the Engine.IO sid");
});

test("WebSocket only", async () => {
  const s = client("/", { transports: ["websocket"] });
  await connected(s);
  assert.equal(s.io.engine.transport.name, "websocket");
  assert.deepEqual(await s.emitWithAck("echo", { a: [1, 2, { b: null }] }), { a: [1, 2, { b: null }] });
});

test("a namespace with auth; middleware rejection is a connect_error with message and data", async () => {
  const ok = client("/admin", { auth: { token: "secret" }, transports: ["websocket"] });
  await connected(ok);
  assert.deepEqual(await ok.emitWithAck("whoami"), { nsp: "/admin", auth: { token: "secret" } });

  const bad = client("/admin", { auth: { token: "wrong" }, transports: ["websocket"] });
  const [err] = await once(bad, "connect_error");
  assert.equal(err.message, "not authorized");
  assert.deepEqual(err.data, { reason: "bad token" });
  assert.equal(bad.active, false, "a middleware refusal must not be retried");

  const unknown = client("/nowhere", { transports: ["websocket"] });
  const [err2] = await once(unknown, "connect_error");
  assert.equal(err2.message, "Invalid namespace");
});

test("several namespaces multiplexed on one connection", async () => {
  const main = io(URL, { transports: ["websocket"], reconnection: false });
  const admin = io(URL + "/admin", { transports: ["websocket"], reconnection: false, auth: { token: "secret" } });
  client.track(main, admin);
  await Promise.all([connected(main), connected(admin)]);
  assert.equal(main.io, admin.io, "one Manager");
  assert.equal(main.io.engine.id, admin.io.engine.id, "one Engine.IO session");
  assert.notEqual(main.id, admin.id, "a socket id per namespace");
});

// who receives what: A and B in r1, C in r2 and r3, D in no room.
test("who receives what", async (t) => {
  const names = ["A", "B", "C", "D"];
  const socks = Object.fromEntries(names.map((n) => [n, client("/", { transports: ["websocket"] })]));
  await Promise.all(names.map((n) => connected(socks[n])));
  await socks.A.emitWithAck("join", "r1");
  await socks.B.emitWithAck("join", "r1");
  await socks.C.emitWithAck("join", "r2");
  await socks.C.emitWithAck("join", "r3");

  const cases = [
    { name: "io.emit", from: "A", op: { kind: "io" }, want: "ABCD" },
    { name: "socket.emit", from: "A", op: { kind: "self" }, want: "A" },
    { name: "socket.broadcast.emit", from: "A", op: { kind: "broadcast" }, want: "BCD" },
    { name: "io.to(r1).emit from a member", from: "A", op: { kind: "to", rooms: ["r1"] }, want: "AB" },
    { name: "socket.to(r1).emit leaves the sender out", from: "A", op: { kind: "socket-to", rooms: ["r1"] }, want: "B" },
    { name: "io.except(r1).emit", from: "D", op: { kind: "except", except: ["r1"] }, want: "CD" },
    { name: "io.to([r1, r2]).emit: each socket once", from: "D", op: { kind: "to", rooms: ["r1", "r2", "r3"] }, want: "ABC" },
    { name: "io.to(r1).except(r1) is nobody", from: "D", op: { kind: "to", rooms: ["r1"], except: ["r1"] }, want: "" },
    { name: "io.to(r2).except(r3): exclusion wins", from: "A", op: { kind: "to", rooms: ["r2", "r1"], except: ["r3"] }, want: "AB" },
    { name: "io.to(socket id)", from: "A", op: { kind: "to", rooms: [socks.C.id] }, want: "C" },
    { name: "socket.to(own id) is nobody", from: "A", op: { kind: "socket-to", rooms: [socks.A.id] }, want: "" },
    { name: "io.to(unknown room) is nobody", from: "A", op: { kind: "to", rooms: ["nobody-here"] }, want: "" },
  ];
  let seq = 0;
  for (const c of cases) {
    await t.test(c.name, async () => {
      const tag = `m${++seq}`;
      const got = new Set();
      const handlers = names.map((n) => {
        const h = (v) => { if (v === tag) got.add(n); };
        socks[n].on("scoped", h);
        return [n, h];
      });
      // The server acks after it enqueued the emit; an echo on every socket afterwards proves that
      // anything sent before it has arrived (one connection keeps order).
      await socks[c.from].emitWithAck("scope", { ...c.op, event: "scoped", args: [tag] });
      await Promise.all(names.map((n) => socks[n].emitWithAck("echo", "flush")));
      handlers.forEach(([n, h]) => socks[n].off("scoped", h));
      assert.equal([...got].sort().join(""), c.want);
    });
  }
  // Leaving a room is server-side too.
  await socks.B.emitWithAck("leave", "r1");
  const got = [];
  socks.A.on("scoped", () => got.push("A"));
  socks.B.on("scoped", () => got.push("B"));
  await socks.D.emitWithAck("scope", { kind: "to", rooms: ["r1"], event: "scoped", args: ["after leave"] });
  await Promise.all(names.map((n) => socks[n].emitWithAck("echo", "flush")));
  assert.deepEqual(got, ["A"]);
});

test("acks both ways and a timed-out ack", async () => {
  const s = client("/", { transports: ["websocket"] });
  await connected(s);
  s.on("question", (q, ack) => ack(`answer to ${q}`));
  assert.deepEqual(await s.emitWithAck("ask", { event: "question", args: ["life"], timeout: 2000 }), { resp: ["answer to life"] });
  s.on("ignored", () => {}); // never acks
  const r = await s.emitWithAck("ask", { event: "ignored", args: [], timeout: 100 });
  assert.equal(r.err, "operation has timed out");
  // client-side timeout against a server handler that never calls its ack
  await assert.rejects(s.timeout(100).emitWithAck("never-acks"), /operation has timed out/);
});

test("binary arguments and binary acks", async () => {
  const s = client("/", { transports: ["websocket"] });
  await connected(s);
  const [a, b, c] = await ackAll(s, "echo", Buffer.from([1, 2, 3]), { nested: [Buffer.from([4, 5])] }, "text");
  assert.deepEqual([...a], [1, 2, 3]);
  assert.deepEqual([...b.nested[0]], [4, 5]);
  assert.equal(c, "text");
  const p = client("/", { transports: ["polling"] });
  await connected(p);
  const d = await p.emitWithAck("echo", Buffer.from([9, 8, 7]));
  assert.deepEqual([...d], [9, 8, 7]);
});

test("disconnect reasons on the client", async () => {
  const s = client("/", { transports: ["websocket"] });
  await connected(s);
  s.emit("kick");
  const [reason] = await once(s, "disconnect");
  assert.equal(reason, "io server disconnect");
});

test("automatic reconnection after the server restarts", async () => {
  const s = io(URL, { forceNew: true, transports: ["websocket"], reconnectionDelay: 100, reconnectionDelayMax: 200 });
  client.track(s);
  await connected(s);
  const firstID = s.id;
  const dropped = once(s, "disconnect", 10000);
  await fetch(URL + "/__restart", { method: "POST" });
  const [reason] = await dropped;
  assert.ok(["transport close", "transport error", "ping timeout"].includes(reason), `reason ${reason}`);
  await once(s.io, "reconnect", 10000);
  assert.notEqual(s.id, firstID);
  assert.equal(await s.emitWithAck("echo", "back"), "back");
});

// reliability.md T40: a class-sized reconnect storm. 300 clients with socket.io-client's default
// reconnection (delay 1 s, max 5 s, randomization 0.5), 10 % of them on long-polling first, lose
// the server at once; all come back (99 % within 10 s), and each is in its room exactly once.
test("reconnect storm: 300 clients come back after a restart, each once in its room", async () => {
  const n = 300;
  const clients = [];
  for (let i = 0; i < n; i++) {
    const s = io(URL, { forceNew: true, transports: i % 10 === 0 ? ["polling", "websocket"] : ["websocket"] });
    client.track(s);
    clients.push(s);
  }
  const joinAll = () => Promise.all(clients.map(async (s) => {
    await connected(s);
    await s.timeout(10000).emitWithAck("join", "class");
  }));
  await joinAll();

  const start = Date.now();
  const back = clients.map((s) => once(s.io, "reconnect", 30000).then(() => Date.now() - start));
  await fetch(URL + "/__restart", { method: "POST" });
  const took = await Promise.all(back);
  const late = took.filter((ms) => ms > 10000).length;
  took.sort((a, b) => a - b);
  console.log(`reconnect storm: ${n} clients back after the restart; median ${took[n >> 1]} ms, slowest ${took[n - 1]} ms`);
  assert.ok(late <= n / 100, `${late} of ${n} took longer than 10 s to reconnect`);

  await joinAll(); // the app joins its room again on the new server
  const got = new Map(clients.map((s) => [s, 0]));
  const all = Promise.all(clients.map((s) => new Promise((resolve) => {
    s.on("roll", () => { got.set(s, got.get(s) + 1); resolve(); });
  })));
  assert.equal(await clients[0].timeout(10000).emitWithAck("scope", { kind: "to", rooms: ["class"], event: "roll", args: [1] }), "done");
  await all;
  // A second, later broadcast as a barrier: nobody got the first one twice.
  const barrier = Promise.all(clients.map((s) => once(s, "barrier", 10000)));
  await clients[1].timeout(10000).emitWithAck("scope", { kind: "to", rooms: ["class"], event: "barrier", args: [] });
  await barrier;
  const twice = [...got.values()].filter((c) => c !== 1).length;
  assert.equal(twice, 0, `${twice} clients did not get the room broadcast exactly once`);
  clients.forEach((s) => s.disconnect());
});

// reliability.md T43: a graceful shutdown in the middle of a class broadcast. What the server had
// queued is delivered (every client gets every tick, in order, exactly once), then the close: the
// client sees "transport close" (WebSocket: the Engine.IO close and close frame 1001; polling: the
// Engine.IO close in the last poll), and every client comes back on the restarted server. 10 % are
// on long-polling. socket.io-client hands decoded packets to the socket on a later tick while it
// handles the close at once, so ticks that arrive together with the close reach the app after
// "disconnect", from its receive buffer, when it connects again; the check is made after that.
test("graceful shutdown: queued ticks are delivered before the close, then everyone reconnects", async () => {
  const n = 100;
  const ticks = 100;
  const clients = [];
  for (let i = 0; i < n; i++) {
    const s = io(URL, {
      forceNew: true,
      transports: i % 10 === 0 ? ["polling"] : ["websocket"],
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    client.track(s);
    clients.push(s);
  }
  await Promise.all(clients.map(async (s) => {
    await connected(s);
    await s.timeout(10000).emitWithAck("join", "t43");
  }));
  const got = clients.map(() => []);
  clients.forEach((s, i) => s.on("tick", (seq) => got[i].push(seq)));
  const reasons = clients.map((s) => once(s, "disconnect", 15000).then(([reason]) => reason));
  const back = clients.map((s) => reasons[clients.indexOf(s)].then(() => once(s, "connect", 30000)));

  assert.equal(await clients[1].timeout(10000).emitWithAck("burst", "t43", ticks), ticks);
  await fetch(URL + "/__restart", { method: "POST" });

  const why = await Promise.all(reasons);
  await Promise.all(back);
  const want = Array.from({ length: ticks }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const kind = i % 10 === 0 ? "polling" : "websocket";
    assert.equal(why[i], "transport close", `client ${i} (${kind}) disconnected with ${why[i]}`);
    assert.deepEqual(got[i], want, `client ${i} (${kind}) got ${got[i].length} of ${ticks} ticks`);
  }
  assert.equal(await clients[2].timeout(10000).emitWithAck("echo", "back"), "back");
  clients.forEach((s) => s.disconnect());
});
