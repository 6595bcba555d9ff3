// The client side of the cluster scenario (issue 14, item 3): npm socket.io-client connected to
// every server of one cluster (servers sharing a broker through their adapters, running
// program.js), asking each server in turn to issue every operation, and checking that exactly
// the right clients, on every server, see it.
//
//   node node/cluster/drive.js http://127.0.0.1:P1 http://127.0.0.1:P2 ...   (servers S1, S2, ...)
//
// Per server Si: clients Sia (rooms r1), Sib (r1, r2), Sic (none) on "/", and an admin on "/admin"
// that asks Si for one operation at a time (program.js). stdout: one JSON line per check,
// {"check": "S1 room", "want": ..., "got": ...}, then {"checks": N, "failed": M}; the exit status
// is 1 when a check failed. Deliveries are checked by waiting for every expected recipient (5 s
// at most), then a fence: Si broadcasts "fence" and every client waits for it (a server's
// packets reach a client in order), so a packet to a wrong client would have arrived by then.
import { io } from "socket.io-client";
import { STEP_MS, checker, until } from "./lib.js";

const urls = process.argv.slice(2);
if (urls.length < 2) {
  console.error("usage: node drive.js URL1 URL2 [URL3 ...]");
  process.exit(2);
}
const { check, end } = checker(120000);

const servers = urls.map((url, i) => ({ name: `S${i + 1}`, url }));
const ROOMS = { a: ["r1"], b: ["r1", "r2"], c: [] };

const opts = { transports: ["websocket"], forceNew: true, reconnection: false };

function client(server, letter) {
  const name = server.name + letter;
  const c = { name, server: server.name, rooms: ROOMS[letter], got: new Map(), fences: new Set(), asked: [], disconnects: [] };
  c.socket = io(server.url, { ...opts, auth: { name, rooms: c.rooms } });
  c.socket.on("m", (tag) => c.got.set(tag, (c.got.get(tag) ?? 0) + 1));
  c.socket.on("fence", (tag) => c.fences.add(tag));
  c.socket.on("ask", (tag, cb) => {
    c.asked.push(tag);
    cb(name);
  });
  c.socket.on("disconnect", (reason) => c.disconnects.push(reason));
  return c;
}

const clients = servers.flatMap((s) => ["a", "b", "c"].map((l) => client(s, l)));
const admins = new Map(servers.map((s) => [s.name, io(`${s.url}/admin`, { ...opts, auth: { server: s.name } })]));
until("every client connected", () => clients.every((c) => c.socket.connected) && [...admins.values()].every((a) => a.connected)).then(main);

const sorted = (xs) => [...xs].sort();

async function op(server, kind, tag) {
  const res = await admins.get(server).timeout(STEP_MS + 1000).emitWithAck("op", kind, tag);
  if (res.error !== undefined) throw new Error(`${server} ${kind}: ${res.error}`);
  return res.ok;
}

let seq = 0;
async function fence(server) {
  const tag = `fence-${++seq}`;
  await op(server, "fence", tag);
  const among = clients.filter((c) => c.socket.connected);
  await until(`${tag} from ${server} at every connected client`, () => among.every((c) => c.fences.has(tag)));
}

// deliveries: server issues kind with a fresh tag; exactly want (names) get it, once each.
async function deliveries(server, kind, want, tag = `${kind}-${++seq}`) {
  await op(server, kind, tag);
  try {
    await until(`${kind} ${tag} at ${want.join(" ")}`, () => want.every((n) => clients.find((c) => c.name === n).got.has(tag)));
  } catch {
    // reported by the check below, with what did arrive
  }
  await fence(server);
  const got = clients.flatMap((c) => Array(c.got.get(tag) ?? 0).fill(c.name));
  check(`${server} ${kind}`, sorted(want), sorted(got));
}

async function main() {
  const names = (pred) => clients.filter(pred).map((c) => c.name);
  const view = (c, extra = []) => ({ id: c.socket.id, name: c.name, auth: c.name, rooms: sorted([...c.rooms, ...extra]) });
  const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

  for (const s of servers) {
    const S = s.name;
    await deliveries(S, "broadcast", names(() => true));
    await deliveries(S, "room", names((c) => c.rooms.includes("r1")));
    await deliveries(S, "except", names((c) => !c.rooms.includes("r2")));
    await deliveries(S, "toExcept", names((c) => c.rooms.includes("r1") && !c.rooms.includes("r2")));
    await deliveries(S, "local", names((c) => c.server === S));

    // socketsJoin: r2's members everywhere join j-TAG, then fetchSockets shows them and an emit to
    // j-TAG reaches exactly them. npm's Redis adapter applies socketsJoin on every server, its
    // issuer too, when the request comes back from Redis: an immediate fetchSockets on the issuer
    // may not see its own sockets in the room yet, so this one waits until it does (5 s at most).
    const tag = `join-${++seq}`;
    await op(S, "socketsJoin", tag);
    const joined = clients.filter((c) => c.rooms.includes("r2"));
    const wantJoined = joined.map((c) => view(c, ["j-" + tag])).sort(byName);
    let gotJoined;
    const started = Date.now();
    do {
      gotJoined = (await op(S, "fetchSockets", "j-" + tag)).sort(byName);
    } while (JSON.stringify(gotJoined) !== JSON.stringify(wantJoined) && Date.now() - started < STEP_MS);
    check(`${S} socketsJoin/fetchSockets`, wantJoined, gotJoined);
    await deliveries(S, "joined", joined.map((c) => c.name), tag);

    check(`${S} fetchSockets`, clients.filter((c) => c.rooms.includes("r1")).map((c) => view(c, c.rooms.includes("r2") ? ["j-" + tag] : [])).sort(byName),
      (await op(S, "fetchSockets", "r1")).sort(byName));

    await deliveries(S, "serverSideEmit", names((c) => c.server !== S));
    check(`${S} serverSideEmitWithAck`, sorted(servers.filter((x) => x.name !== S).map((x) => x.name)), await op(S, "serverSideEmitWithAck"));

    const askTag = `ask-${++seq}`;
    const answers = await op(S, "emitWithAck", askTag);
    const r1 = names((c) => c.rooms.includes("r1"));
    check(`${S} timeout().emitWithAck`, { answers: sorted(r1), asked: sorted(r1) }, { answers, asked: sorted(names((c) => c.asked.includes(askTag))) });

    // disconnectSockets: r2's members everywhere are disconnected by the server, nobody else.
    const before = new Map(clients.map((c) => [c.name, c.disconnects.length]));
    await op(S, "disconnectSockets");
    try {
      await until("disconnects", () => joined.every((c) => c.disconnects.length > before.get(c.name)));
    } catch {
      // reported below
    }
    await fence(S); // at the clients still connected
    check(`${S} disconnectSockets`, joined.map((c) => [c.name, "io server disconnect"]).sort(),
      clients.flatMap((c) => c.disconnects.slice(before.get(c.name)).map((r) => [c.name, r])).sort());
    for (const c of joined) c.socket.connect();
    await until("reconnected", () => clients.every((c) => c.socket.connected));
  }

  for (const c of clients) c.socket.disconnect();
  for (const a of admins.values()) a.disconnect();
  end();
}
