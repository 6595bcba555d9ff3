// Lesson 11 (many servers, one broker): without an adapter a broadcast stays on its server; with
// @socket.io/redis-adapter 8.x on a real redis-server (started here, /usr/bin/redis-server, no
// persistence) it reaches every server, on the channels the lesson names, as a PSUBSCRIBE on the
// broker sees them; io.local never leaves its server; fetchSockets and serverSideEmit are
// requests between servers; pub/sub keeps nothing for an absent subscriber; a polling request
// that reaches another server is refused with "Session ID unknown".
import { EventEmitter } from "node:events";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { start, record, receivers, once } from "./lib.js";
import { startRedisServer } from "../redis/server.js";

let redisServer;
let url;
const conns = [];
const servers = [];

before(async () => {
  redisServer = await startRedisServer();
  url = redisServer.url;
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(conns.map((c) => c.quit().catch(() => {})));
  redisServer.stop();
});

async function redis() {
  const c = createClient({ url });
  c.on("error", () => {});
  await c.connect();
  conns.push(c);
  return c;
}

// server(key) is a socket.io 4.8 server with the Redis adapter under key (no key: no adapter).
async function server(key) {
  let opts = {};
  if (key) {
    const pub = await redis();
    const sub = await redis();
    opts = { adapter: createAdapter(pub, sub, { key }) };
  }
  const srv = await start(opts);
  servers.push(srv);
  return srv;
}

// monitor(key) records, in order, the channel of every message published under key.
async function monitor(key) {
  const c = await redis();
  const seen = [];
  seen.events = new EventEmitter(); // "channel" after each one seen (seenSoon waits on it)
  await c.pSubscribe(key + "*", (_, channel) => {
    seen.push(channel);
    seen.events.emit("channel");
  });
  return seen;
}

// seenSoon waits until the monitor has seen what ok looks for (it reads on a connection of its
// own, so it may lag behind what the servers already did); it fails after 2 s with the channels.
async function seenSoon(ok, seen) {
  if (ok()) return;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      seen.events.off("channel", check);
      reject(new Error(`channels: ${seen}`));
    }, 2000);
    const check = () => {
      if (!ok()) return;
      clearTimeout(timer);
      seen.events.off("channel", check);
      resolve();
    };
    seen.events.on("channel", check);
  });
}

// crossFence: A's io.emit("fence") travels on the same publisher connection as anything A
// published before it, so a client of B that has the fence has everything A published earlier.
async function crossFence(a, clients) {
  const waits = clients.map((c) => once(c, "fence"));
  a.io.emit("fence");
  await Promise.all(waits);
}

test("without an adapter, io.emit on server A reaches A's clients only", async () => {
  const a = await server();
  const b = await server();
  const ada = record(await a.client("/"));
  const grace = record(await b.client("/"));
  a.io.emit("news", "from A");
  const waits = [once(ada, "fence"), once(grace, "fence")];
  a.io.emit("fence");
  b.io.emit("fence");
  await Promise.all(waits);
  assert.deepEqual(receivers({ ada, grace }, "news"), ["ada"]);
});

test("with the Redis adapter, each emit travels on its channel and reaches every server", async () => {
  const key = "t1";
  const seen = await monitor(key);
  const a = await server(key);
  const b = await server(key);
  const ada = record(await a.client("/"));
  const grace = record(await b.client("/"));
  const linus = record(await b.client("/"));
  b.io.of("/").sockets.get(grace.id).join("room1");

  a.io.emit("news", "for everyone");
  a.io.to("room1").emit("room-news", "for room1");
  a.io.to(["room1", "room2"]).emit("rooms-news", "for room1 or room2");
  a.io.local.emit("local-news", "A only");
  await crossFence(a, [ada, grace, linus]);

  assert.deepEqual(receivers({ ada, grace, linus }, "news"), ["ada", "grace", "linus"]);
  assert.deepEqual(receivers({ ada, grace, linus }, "room-news"), ["grace"]);
  assert.deepEqual(receivers({ ada, grace, linus }, "rooms-news"), ["grace"]);
  assert.deepEqual(receivers({ ada, grace, linus }, "local-news"), ["ada"], "io.local stays on A");
  // Four publishes: the broadcast, the one-room emit, the several-rooms emit, the fence; none
  // for io.local.emit.
  const published = () => seen.filter((c) => !c.includes("-request") && !c.includes("-response"));
  await seenSoon(() => published().length >= 4, seen);
  assert.deepEqual(published(), [
    "t1#/#", "t1#/#room1#", "t1#/#", "t1#/#",
  ]);
});

test("fetchSockets and serverSideEmit are requests between servers", async () => {
  const key = "t2";
  const seen = await monitor(key);
  const a = await server(key);
  const b = await server(key);
  const c = await server(key);
  await a.client("/", { auth: { name: "Ada" } });
  await b.client("/", { auth: { name: "Grace" } });

  seen.length = 0;
  const sockets = await a.io.fetchSockets();
  assert.deepEqual(sockets.map((s) => s.handshake.auth.name).sort(), ["Ada", "Grace"]);
  const remote = sockets.find((s) => s.handshake.auth.name === "Grace");
  // A remote socket: its id, handshake, rooms and data, and methods such as emit.
  assert.ok(remote.rooms.has(remote.id) && "data" in remote && typeof remote.emit === "function");
  // The monitor reads on a connection of its own, so what it saw may lag behind: wait for it.
  await seenSoon(() => seen.includes("t2-request#/#") && seen.some((ch) => ch.startsWith("t2-response#/#")), seen);

  // serverSideEmit: the other servers' io.on handlers run, the sender's does not.
  const got = [];
  for (const [name, s] of [["A", a], ["B", b], ["C", c]]) s.io.on("ping-servers", (from) => got.push(`${name} from ${from}`));
  seen.length = 0;
  const answered = Promise.all([b, c].map((s) => new Promise((r) => s.io.once("ping-servers", r))));
  a.io.serverSideEmit("ping-servers", "A");
  await answered;
  assert.deepEqual(got.sort(), ["B from A", "C from A"]);
  await seenSoon(() => seen.includes("t2-request#/#"), seen);
  // One request, and no answer asked for. (The monitor reads on a connection of its own: a last
  // response to fetchSockets above may reach it after fetchSockets resolved, so responses are
  // left out here.)
  assert.deepEqual(seen.filter((ch) => !ch.startsWith("t2-response#")), ["t2-request#/#"]);
});

test("pub/sub is at-most-once: what is published while a subscriber is away is never delivered to it", async () => {
  const pub = await redis();
  const sub = await redis();
  const got = [];
  const listener = (msg) => got.push(msg);
  await sub.subscribe("news", listener);
  await pub.publish("news", "1");
  await sub.unsubscribe("news"); // away (a server cut off from Redis)
  assert.equal(await pub.publish("news", "2 (nobody listening)"), 0, "Redis delivered it to nobody");
  let back;
  const third = new Promise((r) => (back = r));
  await sub.subscribe("news", (msg) => (listener(msg), back())); // back, subscription confirmed
  await pub.publish("news", "3");
  await third;
  assert.deepEqual(got, ["1", "3"]);
});

test("a polling request that reaches another server is refused: Session ID unknown", async () => {
  const a = await server();
  const b = await server();
  const open = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling`);
  const sid = JSON.parse((await open.text()).slice(1)).sid;
  const elsewhere = await fetch(`${b.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
  assert.equal(elsewhere.status, 400);
  assert.deepEqual(await elsewhere.json(), { code: 1, message: "Session ID unknown" });
  const same = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "1" });
  assert.equal(same.status, 200, "the server holding the session accepts it");
});
