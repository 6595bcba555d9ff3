// The lessons' JavaScript samples, executed as written against npm socket.io / socket.io-client.
//
// Every ```js fence of lessons/*.md carries a name in its info string (```js sample=08-vote; the
// page renders only the language, see docs/authoring.md). Each test below runs one or more named
// samples on a real socket.io Server on 127.0.0.1 and asserts what the lesson says they do. A
// sample runs as an ES module made of its own text, with only two changes:
//   - its imports of "socket.io", "socket.io-client" and "node:http" point at the stand-ins in
//     samples/ (the real classes, but any port becomes an ephemeral port on 127.0.0.1 and any
//     client address becomes the harness's server, namespace and path kept);
//   - the names it uses without defining them (a browser sample's global io, a fragment's socket,
//     an app's own save() or showJob()) are declared on its first line, from what the test gives:
//     `const { io, socket } = globalThis.__sampleGiven[N];`, so line numbers stay the lesson's.
// console is always given: what a sample logs is recorded and asserted. A delay a sample asks
// for (a reconnection backoff, an emit timeout, its own setTimeout) is asserted, not waited for: the
// check holds the client's timers (holdTimers) or gives the sample a setTimeout that records.
// A sample that cannot run is marked ```js sample=NAME fragment and needs a reason in FRAGMENTS.
// A Node built-in that needs no stand-in (node:crypto) is imported as it is. A check that needs a
// function the sample defines asks for it by name: run(name, given, ["verifyToken"]) appends
// `export { verifyToken };` after the sample's last line and returns the module's exports.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { io as ioc } from "socket.io-client";
import { start, record, fence, receivers, serverSocket, upgraded } from "./lib.js";
import { io as browserIo } from "./samples/client.js";
import { Server as SampleServer } from "./samples/server.js";

const here = dirname(fileURLToPath(import.meta.url));
const lessonsDir = join(here, "..", "..", "lessons");

// Samples that cannot run as written, and why. Each is marked `fragment` in its lesson.
const FRAGMENTS = {
  "10-broker-excerpt":
    "an excerpt of the broker demo's server (lastId, ready, idle, settle and leave are defined in " +
    "the rest of it): the whole program, playground/kind_broker.go's JavaScript, runs on npm " +
    "socket.io 4.8 in TestKindJSMatchesGo (playground/kinds_test.go, scenario broker)",
  "11-adapter-setup":
    "needs a redis-server and the npm redis client: truth/11-many-servers.test.js makes the same " +
    "createAdapter(pubClient, subClient) setup on three servers with a real redis-server",
  "14-playground-send":
    "talks to Socket Lab's playground server (its join and send handlers answer rooms and call), " +
    "not to a socket.io server: covered by the playground's Go tests, not here",
};

// jsFences returns the ```js fences of a Markdown text: {name, fragment, line, code}.
export function jsFences(text, file) {
  const out = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, marker, info] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close && close[1][0] === marker[0] && close[1].length >= marker.length) break;
      body.push(lines[j]);
    }
    const words = info.trim().split(/\s+/);
    if (words[0] === "js") {
      const name = words.find((w) => w.startsWith("sample="))?.slice("sample=".length);
      out.push({ file, name, fragment: words.includes("fragment"), line: i + 2, code: body.join("\n") + "\n" });
    }
    i = j;
  }
  return out;
}

const samples = new Map();
const unnamed = []; // reported by the last test, so that the named samples still run
for (const f of readdirSync(lessonsDir).filter((f) => /\.md$/.test(f)).sort()) {
  for (const s of jsFences(readFileSync(join(lessonsDir, f), "utf8"), `lessons/${f}`)) {
    if (!s.name) {
      unnamed.push(`${s.file}:${s.line - 1}`);
      continue;
    }
    if (samples.has(s.name)) throw new Error(`${s.file}:${s.line - 1}: sample name ${s.name} is used twice`);
    samples.set(s.name, s);
  }
}

const tmp = mkdtempSync(join(tmpdir(), "lesson-samples-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const shims = {
  "socket.io": pathToFileURL(join(here, "samples", "server.js")).href,
  "socket.io-client": pathToFileURL(join(here, "samples", "client.js")).href,
  "node:http": pathToFileURL(join(here, "samples", "http.js")).href,
  "node:crypto": "node:crypto", // a built-in the samples use as it is
};
const ran = new Set();
let seq = 0;
globalThis.__sampleGiven = {};

// Log records what samples print with console.log; until(pred) waits for a matching line.
class Log extends EventEmitter {
  lines = [];
  log = (...args) => {
    this.lines.push(args);
    this.emit("line");
  };
  until(pred) {
    if (this.lines.some(pred)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => this.lines.some(pred) && (this.off("line", check), resolve());
      this.on("line", check);
    });
  }
}

// harness: one test's servers and clients. run(name, given) executes a sample.
async function harness() {
  const ctx = { url: null, clients: [], https: [], servers: [] };
  globalThis.__samples = ctx;
  const log = new Log();
  const libs = [];
  const mine = [];
  const h = {
    ctx,
    log,
    // server starts a real socket.io Server for samples that are given `io`.
    async server(opts = {}, setup = () => {}) {
      const srv = await start(opts, setup);
      libs.push(srv);
      ctx.url = srv.url;
      return srv;
    },
    // httpServer is a plain Node HTTP server for samples that are given one; listen() it after.
    httpServer() {
      const http = createServer((req, res) => res.writeHead(404).end());
      ctx.https.push(http);
      return http;
    },
    // listening waits for the last HTTP server a sample (or the test) made, and points clients at it.
    async listening() {
      const http = ctx.https.at(-1);
      if (!http.listening) {
        if (!http.listening && http.address() === null && !http._handle) http.listen(0, "127.0.0.1");
        await once(http, "listening");
      }
      ctx.url = `http://127.0.0.1:${http.address().port}`;
      return ctx.servers.at(-1);
    },
    // client is a test client (not a sample): it resolves once connected.
    client(nsp = "/", opts = {}) {
      const c = h.socket(nsp, opts);
      return new Promise((resolve, reject) => {
        c.once("connect", () => resolve(c));
        c.once("connect_error", reject);
      });
    },
    socket(nsp = "/", opts = {}) {
      const c = ioc(ctx.url + nsp, { forceNew: true, reconnection: false, ...opts });
      mine.push(c);
      return c;
    },
    async run(name, given = {}, exported = []) {
      const s = samples.get(name);
      assert.ok(s, `no sample named ${name}`);
      assert.ok(!s.fragment, `${name} is marked fragment`);
      const id = seq++;
      globalThis.__sampleGiven[id] = { console: { log: log.log }, ...given };
      const names = Object.keys(globalThis.__sampleGiven[id]).join(", ");
      const code = s.code.replace(/(\bfrom\s+|\bimport\s+)(["'])([^"']+)\2/g, (m, kw, q, spec) => {
        if (!shims[spec]) throw new Error(`${s.file}: sample ${name} imports ${spec}, which the harness does not provide`);
        return `${kw}"${shims[spec]}"`;
      });
      const file = join(tmp, `${name}-${id}.mjs`);
      const exports = exported.length ? `\nexport { ${exported.join(", ")} };\n` : "";
      writeFileSync(file, `const { ${names} } = globalThis.__sampleGiven[${id}]; ` + code + exports);
      ran.add(name);
      try {
        return await import(pathToFileURL(file).href);
      } catch (err) {
        err.message = `${s.file} sample ${name}: ${err.message}`;
        throw err;
      }
    },
    async close() {
      for (const c of [...ctx.clients, ...mine]) c.disconnect();
      for (const io of ctx.servers) await new Promise((resolve) => io.close(() => resolve()));
      for (const http of ctx.https) if (http.listening) await new Promise((resolve) => http.close(() => resolve()));
      for (const srv of libs) await srv.close();
    },
  };
  return h;
}

// check declares a test that runs the named samples.
// A wrong sample usually means an event that never comes: the timeout turns that hang into a
// failure (it bounds the test; nothing waits for it to pass), and the servers and clients are
// closed then too, or they would keep Node running after the last test.
function check(names, title, fn) {
  test(`${names.join(" + ")}: ${title}`, { timeout: 20_000 }, async (t) => {
    const h = await harness();
    const stopped = new Promise((resolve, reject) => t.signal.addEventListener("abort", () => reject(t.signal.reason), { once: true }));
    stopped.catch(() => {}); // only raced below
    try {
      await Promise.race([fn(h), stopped]);
    } finally {
      await h.close();
    }
  });
}

// page is what a browser sample gets: the global io() of the socket.io client script.
const page = { io: browserIo };
const connected = (c) => (c.connected ? Promise.resolve() : once(c, "connect"));

// ---------------------------------------------------------------- lesson 01
check(["01-server", "01-browser"], "the server pushes welcome! unasked; the browser's own emit stops at the server", async (h) => {
  await h.run("01-server");
  const io = await h.listening();
  const arrived = new Promise((resolve) => io.on("connection", (s) => s.onAny((...args) => resolve(args))));
  await h.run("01-browser", page);
  const client = record(h.ctx.clients[0]);
  await h.log.until(([first]) => first === "the server pushed:");
  assert.deepEqual(h.log.lines, [["a client connected:", client.id], ["the server pushed:", "welcome!"]]);
  assert.deepEqual(await arrived, ["chat message", "hello from Ada"]);
  await fence(io.of("/"), [client]);
  assert.deepEqual(client.got, [["chat message", "welcome!"], ["fence"]], "nothing besides the welcome came back");
});

// ---------------------------------------------------------------- lesson 02
check(["02-server"], "io.emit relays each chat message to everyone, the sender included", async (h) => {
  const httpServer = h.httpServer();
  await h.run("02-server", { httpServer });
  const io = await h.listening();
  const [ada, grace] = await Promise.all([h.client(), h.client()]);
  const got = Promise.all([once(ada, "chat message"), once(grace, "chat message")]);
  ada.emit("chat message", "hi");
  assert.deepEqual(await got, [["hi"], ["hi"]]);
  assert.equal(io.of("/").sockets.size, 2);
});

check(["02-server", "02-browser"], "the page sends what is typed and shows what the server sends back", async (h) => {
  const httpServer = h.httpServer();
  await h.run("02-server", { httpServer });
  await h.listening();
  const grace = await h.client();
  const form = new EventTarget();
  const input = { value: "" };
  const shown = [];
  const messages = { append: (li) => shown.push(li.textContent) };
  const document = { createElement: (tag) => ({ tag, textContent: "" }) };
  await h.run("02-browser", { form, input, messages, document });
  await connected(h.ctx.clients[0]);
  input.value = "hi from Ada";
  const back = once(h.ctx.clients[0], "chat message");
  const atGrace = once(grace, "chat message");
  const submit = new Event("submit", { cancelable: true });
  form.dispatchEvent(submit);
  assert.equal(submit.defaultPrevented, true);
  assert.equal(input.value, "", "the input is cleared");
  assert.deepEqual(await atGrace, ["hi from Ada"]);
  await back;
  assert.deepEqual(shown, ["hi from Ada"], "the sender's page shows its own message when it comes back");
});

// ---------------------------------------------------------------- lesson 03
check(["03-server-log"], "logs the connection with the client count, every event, and the disconnect reason", async (h) => {
  const srv = await h.server();
  await h.run("03-server-log", { io: srv.io });
  const c = await h.client();
  const id = c.id;
  c.emit("chat message", "hi");
  await h.log.until(([first]) => first === "got");
  c.disconnect();
  await h.log.until(([first]) => first === "user disconnected");
  assert.deepEqual(h.log.lines, [
    ["a user connected", id, 1, "online"],
    ["got", "chat message", ["hi"], "from", id],
    ["user disconnected", id, "client namespace disconnect"],
  ]);
});

check(["03-browser-log"], "the page logs its id (the server's) and the reason it was disconnected", async (h) => {
  const srv = await h.server();
  await h.run("03-browser-log", page);
  const client = h.ctx.clients[0];
  await h.log.until(([first]) => first === "connected as");
  const id = client.id;
  serverSocket(srv.io, client).disconnect(); // the server kicks it
  await h.log.until(([first]) => first === "disconnected:");
  assert.deepEqual(h.log.lines, [["connected as", id], ["disconnected:", "io server disconnect"]]);
});

// ---------------------------------------------------------------- lesson 04
async function threeClients(h, srv) {
  const [A, B, C] = await Promise.all([h.client(), h.client(), h.client()]);
  for (const c of [A, B, C]) record(c);
  return { A, B, C, nsp: srv.io.of("/") };
}

check(["04-broadcast-line"], "socket.broadcast.emit reaches everyone except the sender", async (h) => {
  const srv = await h.server();
  const { A, B, C, nsp } = await threeClients(h, srv);
  await h.run("04-broadcast-line", { socket: serverSocket(srv.io, A), msg: "hi" });
  await fence(nsp, [A, B, C]);
  assert.deepEqual(receivers({ A, B, C }, "chat message"), ["B", "C"]);
  assert.deepEqual(B.got[0], ["chat message", "hi"]);
});

const count = (c, ev) => c.got.filter(([e]) => e === ev).length;

check(["04-server"], "the three calls: A gets socket.emit and io.emit, B and C get io.emit and broadcast", async (h) => {
  const srv = await h.server();
  await h.run("04-server", { io: srv.io });
  const { A, B, C, nsp } = await threeClients(h, srv);
  await A.emit("greeting", "hi");
  await new Promise((resolve) => B.on("greeting", () => count(B, "greeting") === 2 && resolve()));
  await fence(nsp, [A, B, C]);
  assert.deepEqual([count(A, "greeting"), count(B, "greeting"), count(C, "greeting")], [2, 2, 2]);
});

check(["04-server", "04-browser"], "the page's emit goes to the server only; it logs what the server chose to send back", async (h) => {
  const srv = await h.server();
  await h.run("04-server", { io: srv.io });
  const other = record(await h.client());
  await h.run("04-browser", page);
  const client = h.ctx.clients[0];
  await h.log.until(() => h.log.lines.length === 2);
  await fence(srv.io.of("/"), [client, other]);
  assert.deepEqual(h.log.lines, [["received:", "hi"], ["received:", "hi"]], "socket.emit and io.emit: two copies");
  assert.deepEqual(other.got.map(([e]) => e), ["greeting", "greeting", "fence"], "io.emit and broadcast");
});

// ---------------------------------------------------------------- lesson 05
const mayEnter = (socket, room) => room !== "staff";

check(["05-server-join"], "the server decides: joins, refuses with a reason, leaves", async (h) => {
  const srv = await h.server();
  await h.run("05-server-join", { io: srv.io, mayEnter });
  const c = await h.client();
  assert.deepEqual(await c.emitWithAck("join", "lobby"), { ok: true });
  assert.ok(serverSocket(srv.io, c).rooms.has("lobby"));
  assert.deepEqual(await c.emitWithAck("join", "staff"), { ok: false, reason: "members only" });
  assert.ok(!serverSocket(srv.io, c).rooms.has("staff"));
  assert.deepEqual(await c.emitWithAck("leave", "lobby"), { ok: true });
  assert.ok(!serverSocket(srv.io, c).rooms.has("lobby"));
});

check(["05-server-join", "05-browser-join"], "the page asks to join and logs the server's decision", async (h) => {
  const srv = await h.server();
  await h.run("05-server-join", { io: srv.io, mayEnter });
  await h.run("05-browser-join", page); // top-level await: returns once the reply came
  assert.deepEqual(h.log.lines, [[{ ok: true }]]);
  assert.ok(serverSocket(srv.io, h.ctx.clients[0]).rooms.has("lobby"));
});

check(["05-whisper"], "a whisper reaches only the socket whose id it names", async (h) => {
  const srv = await h.server();
  const { A, B, C, nsp } = await threeClients(h, srv);
  await h.run("05-whisper", { io: srv.io, socket: serverSocket(srv.io, A) });
  A.emit("whisper", { to: C.id, text: "psst" });
  await once(C, "whisper");
  await fence(nsp, [A, B, C]);
  assert.deepEqual(receivers({ A, B, C }, "whisper"), ["C"]);
  assert.deepEqual(C.got[0], ["whisper", { from: A.id, text: "psst" }]);
});

check(["05-disconnecting"], "in disconnecting the socket still knows its rooms and tells them", async (h) => {
  const srv = await h.server();
  const { A, B, C, nsp } = await threeClients(h, srv);
  serverSocket(srv.io, A).join("lobby");
  serverSocket(srv.io, B).join("lobby");
  const sA = serverSocket(srv.io, A);
  await h.run("05-disconnecting", { socket: sA });
  const id = A.id;
  const heard = once(B, "left");
  A.disconnect();
  assert.deepEqual(await heard, [id]);
  await fence(nsp, [B, C]);
  assert.deepEqual(receivers({ B, C }, "left"), ["B"]);
});

// ---------------------------------------------------------------- lesson 06
check(["06-browser-namespaces"], "no path: the main namespace; /orders: the /orders namespace", async (h) => {
  const srv = await h.server({}, (io) => io.of("/orders"));
  await h.run("06-browser-namespaces");
  const [socket, orders] = h.ctx.clients;
  await Promise.all([connected(socket), connected(orders)]);
  assert.ok(srv.io.of("/").sockets.has(socket.id));
  assert.ok(srv.io.of("/orders").sockets.has(orders.id));
});

check(["06-orders"], "a track event on /orders is answered by the /orders handler", async (h) => {
  const srv = await h.server();
  await h.run("06-orders", { io: srv.io, statusOf: (id) => ({ id, status: "on its way" }) });
  const orders = await h.client("/orders");
  assert.deepEqual(await orders.emitWithAck("track", "o-1"), { id: "o-1", status: "on its way" });
  const main = await h.client("/");
  await assert.rejects(main.timeout(200).emitWithAck("track", "o-1"), /operation has timed out/, "/ has no track handler");
});

const isStaffToken = (t) => t === "staff-secret";

check(["06-admin-guard"], "/admin lets staff in and refuses others with connect_error; / is not guarded", async (h) => {
  const srv = await h.server();
  await h.run("06-admin-guard", { io: srv.io, isStaffToken });
  await h.client("/admin", { auth: { token: "staff-secret" } });
  await assert.rejects(h.client("/admin", { auth: { token: "guess" } }), { message: "not authorized" });
  await h.client("/");
  assert.equal(srv.io.of("/admin").sockets.size, 1);
});

check(["06-admin-guard", "06-browser-admin"], "the page hears the refusal as connect_error", async (h) => {
  const srv = await h.server();
  await h.run("06-admin-guard", { io: srv.io, isStaffToken });
  await h.run("06-browser-admin", { ...page, myToken: "guess" });
  await h.log.until(() => true);
  assert.deepEqual(h.log.lines, [["not authorized"]]);
  assert.equal(h.ctx.clients[0].active, false, "and does not retry");
});

check(["06-multiplexing"], "two namespaces, one manager and one connection, two socket ids", async (h) => {
  const srv = await h.server({}, (io) => io.of("/orders"));
  await h.run("06-multiplexing", page); // io imported in the lesson's first client sample
  const [socket, orders] = h.ctx.clients;
  await Promise.all([connected(socket), connected(orders)]);
  assert.equal(socket.io, orders.io);
  assert.notEqual(socket.id, orders.id);
  assert.equal(serverSocket(srv.io, socket).conn, serverSocket(srv.io, orders, "/orders").conn);
  assert.equal(srv.io.engine.clientsCount, 1);
});

// ---------------------------------------------------------------- lesson 07
const tokens = { acme: "acme-secret", globex: "globex-secret" };

check(["07-pattern"], "a matching name creates its namespace on first connection; others are Invalid namespace", async (h) => {
  const srv = await h.server();
  await h.run("07-pattern", { io: srv.io });
  assert.ok(!srv.io._nsps.has("/org-acme"));
  const c = await h.client("/org-acme");
  assert.equal(serverSocket(srv.io, c, "/org-acme").nsp.name, "/org-acme");
  await assert.rejects(h.client("/org-ACME!"), { message: "Invalid namespace" });
});

check(["07-guard"], "a wrong token is refused with data {org}; news stays in its organization", async (h) => {
  const srv = await h.server();
  const orgs = srv.io.of(/^\/org-[a-z0-9-]+$/); // what 07-pattern makes
  await h.run("07-guard", { orgs, tokens });
  const err = await h.client("/org-acme", { auth: { token: tokens.globex } }).catch((e) => e);
  assert.equal(err.message, "not authorized");
  assert.deepEqual(err.data, { org: "acme" });
  const ada = record(await h.client("/org-acme", { auth: { token: tokens.acme } }));
  const bob = record(await h.client("/org-acme", { auth: { token: tokens.acme } }));
  const gus = record(await h.client("/org-globex", { auth: { token: tokens.globex } }));
  ada.emit("news", "launch at noon");
  await once(bob, "news");
  await fence(srv.io.of("/org-acme"), [ada, bob]);
  await fence(srv.io.of("/org-globex"), [gus]);
  assert.deepEqual(receivers({ ada, bob, gus }, "news"), ["ada", "bob"]);
});

for (const [token, what] of [[tokens.acme, "shows Acme's news"], [tokens.globex, "logs the refusal and its data"]]) {
  check(["07-guard", "07-browser"], `an Acme page with ${token} ${what}`, async (h) => {
    const srv = await h.server();
    await h.run("07-guard", { orgs: srv.io.of(/^\/org-[a-z0-9-]+$/), tokens });
    const shown = [];
    const news = new EventEmitter();
    await h.run("07-browser", { ...page, acmeToken: token, show: (text) => news.emit("shown", shown.push(text)) });
    if (token === tokens.acme) {
      await connected(h.ctx.clients[0]);
      const ada = await h.client("/org-acme", { auth: { token: tokens.acme } });
      const gus = await h.client("/org-globex", { auth: { token: tokens.globex } });
      gus.emit("news", "globex only");
      ada.emit("news", "acme news");
      await once(news, "shown");
      assert.deepEqual(shown, ["acme news"]);
    } else {
      await h.log.until(() => true);
      assert.deepEqual(h.log.lines, [["not authorized", { org: "acme" }]]);
    }
  });
}

check(["07-function"], "the function decides which names may exist", async (h) => {
  const srv = await h.server();
  await h.run("07-function", { io: srv.io });
  await h.client("/org-acme");
  await assert.rejects(h.client("/team-red"), { message: "Invalid namespace" });
});

// ---------------------------------------------------------------- lesson 08
function orderServer(h, srv, saved) {
  return h.run("08-server-order", { io: srv.io, save: (o) => saved.push(o.id) });
}

check(["08-server-order"], "the handler's last argument is the callback; its reply comes back", async (h) => {
  const srv = await h.server();
  const saved = [];
  await orderServer(h, srv, saved);
  const c = await h.client();
  assert.deepEqual(await c.emitWithAck("order", { id: "o-1", item: "coffee" }), { status: "stored", id: "o-1" });
  assert.deepEqual(saved, ["o-1"]);
});

check(["08-server-order", "08-browser-order"], "callback and emitWithAck both get the server's reply", async (h) => {
  const srv = await h.server();
  const saved = [];
  await orderServer(h, srv, saved);
  const socket = await h.client();
  await h.run("08-browser-order", { socket }); // top-level await on emitWithAck
  await h.log.until(() => true);
  assert.deepEqual(h.log.lines, [[{ status: "stored", id: "o-17" }]]);
  assert.deepEqual(saved, ["o-17", "o-18"]);
});

check(["08-server-order", "08-timeout"], "with a timeout and an answer in time, the callback gets (null, reply)", async (h) => {
  // The "operation has timed out" branch is checked with short timeouts in 08-acks.test.js.
  const srv = await h.server();
  await orderServer(h, srv, []);
  const socket = await h.client();
  await h.run("08-timeout", { socket, order: { id: "o-19", item: "cake" } });
  await h.log.until(() => true);
  assert.deepEqual(h.log.lines, [[{ status: "stored", id: "o-19" }]]);
});

check(["08-server-asks"], "the server asks one client and awaits its answer", async (h) => {
  const srv = await h.server();
  const c = await h.client();
  const asked = [];
  c.on("rate-us", (q, cb) => cb(asked.push(q) && 5));
  await h.run("08-server-asks", { socket: serverSocket(srv.io, c) });
  assert.deepEqual(asked, ["how was it?"]);
});

check(["08-browser-answers"], "the page's handler answers the server's question with 5", async (h) => {
  const srv = await h.server();
  const socket = await h.client();
  await h.run("08-browser-answers", { socket });
  assert.equal(await serverSocket(srv.io, socket).timeout(2000).emitWithAck("rate-us", "how was it?"), 5);
});

check(["08-vote"], "a broadcast with a timeout collects one reply per client", async (h) => {
  const srv = await h.server();
  const a = await h.client();
  const b = await h.client();
  a.on("vote", (cb) => cb("yes"));
  b.on("vote", (cb) => cb("no"));
  await h.run("08-vote", { io: srv.io });
  await h.log.until(() => true);
  assert.equal(h.log.lines.length, 1, "no 'some did not answer'");
  assert.deepEqual(h.log.lines[0][0].sort(), ["no", "yes"]);
});

// ---------------------------------------------------------------- lesson 09
check(["09-queue"], "a job dispatched while the courier is offline reaches him on connect, and not again once acked", async (h) => {
  const srv = await h.server();
  await h.run("09-queue", { io: srv.io }); // dispatches job-1 to c-42, who is offline
  const c = h.socket("/", { auth: { courier: "c-42" } });
  const [job, ack] = await once(c, "delivery");
  assert.deepEqual(job, { id: "job-1", pickup: "Bakery, 3 Elm St" });
  ack("got it");
  c.disconnect(); // after the ack, on the same connection: the server reads the ack first
  const again = record(await h.client("/", { auth: { courier: "c-42" } }));
  await fence(srv.io.of("/"), [again]);
  assert.deepEqual(again.got.map(([e]) => e), ["fence"], "an acknowledged job is not sent again");
});

check(["09-queue", "09-courier"], "the phone shows each job once, however often it arrives, and acknowledges every copy", async (h) => {
  const srv = await h.server();
  await h.run("09-queue", { io: srv.io });
  const shown = [];
  const seen = new EventEmitter();
  await h.run("09-courier", { ...page, showJob: (job) => seen.emit("job", shown.push(job.id)) });
  await once(seen, "job");
  // The same job again, as the queue would resend it after a lost ack.
  const replies = await srv.io.timeout(2000).emitWithAck("delivery", { id: "job-1", pickup: "Bakery, 3 Elm St" });
  assert.deepEqual(replies, ["got it"]);
  assert.deepEqual(shown, ["job-1"]);
});

check(["09-recovery-server"], "recovery: same id, rooms back, missed events replayed", async (h) => {
  const httpServer = h.httpServer();
  await h.run("09-recovery-server", { httpServer, Server: SampleServer }); // Server imported in the lesson's first server sample
  const io = await h.listening();
  assert.equal(io.opts.connectionStateRecovery.maxDisconnectionDuration, 2 * 60 * 1000);
  const c = record(await h.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 }));
  const firstId = c.id;
  io.to("drivers").emit("news", "one");
  await fence(io.of("/"), [c]);
  const dropped = new Promise((resolve) => serverSocket(io, c).on("disconnect", () => resolve(io.to("drivers").emit("news", "two"))));
  c.io.engine.close();
  await dropped;
  await once(c, "connect");
  assert.equal(c.recovered, true);
  assert.equal(c.id, firstId);
  assert.ok(serverSocket(io, c).rooms.has("drivers"));
  await fence(io.of("/"), [c]);
  // (with recovery on, each event carries its offset as a last argument, which the client keeps)
  assert.deepEqual(c.got.filter(([e]) => e === "news").map(([e, text]) => [e, text]), [["news", "one"], ["news", "two"]]);
});

check(["09-recovery-browser"], "socket.recovered is false on a first connection and true after a recovered drop", async (h) => {
  const srv = await h.server({ connectionStateRecovery: {} });
  const socket = h.socket("/", { autoConnect: false, reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
  await h.run("09-recovery-browser", { socket });
  const states = [];
  socket.on("connect", () => states.push(socket.recovered));
  socket.connect();
  await once(socket, "connect");
  srv.io.emit("bookmark");
  await fence(srv.io.of("/"), [record(socket)]);
  socket.io.engine.close();
  await once(socket, "connect");
  assert.deepEqual(states, [false, true]);
});

// ---------------------------------------------------------------- lesson 10
check(["10-idempotent-cook"], "a job delivered twice is cooked once, and both copies are acknowledged done", async (h) => {
  const srv = await h.server();
  const cook = h.socket("/", {});
  await connected(cook);
  const cooked = [];
  await h.run("10-idempotent-cook", { socket: cook, cook: (job) => cooked.push(job.id) });
  const worker = serverSocket(srv.io, cook);
  const job = { id: 7, text: "1 soup" };
  assert.equal(await worker.timeout(2000).emitWithAck("job", job), "done");
  assert.equal(await worker.timeout(2000).emitWithAck("job", job), "done"); // redelivered: no ack came in time
  assert.deepEqual(cooked, [7]);
});

check(["10-retries"], "a client with ackTimeout and retries gets the server's ack", async (h) => {
  // The resending itself (retries + 1 copies, one emit at a time) is in truth/08-acks.test.js.
  const paid = [];
  await h.server({}, (io) => io.on("connection", (s) => s.on("pay", (p, ack) => ack(paid.push(p) && { status: "paid" }))));
  await h.run("10-retries", page); // top-level await: returns once acknowledged
  assert.deepEqual(paid, [{ id: "p-1", amount: 12 }]);
});

// ---------------------------------------------------------------- lesson 11
// On one server (the in-memory adapter): io.local and fetchSockets answer from this server only;
// truth/11-many-servers.test.js runs the same calls across three servers over Redis.
check(["11-local"], "io.local.emit reaches this server's clients, with its socket count", async (h) => {
  const srv = await h.server();
  await h.run("11-local", { io: srv.io });
  const [a, b] = await Promise.all([h.client(), h.client()]);
  const got = Promise.all([once(a, "status"), once(b, "status")]);
  a.emit("server-status");
  assert.deepEqual(await got, [[{ sockets: 2 }], [{ sockets: 2 }]]);
});

check(["11-fetch-sockets"], "online answers with the names of the sockets fetchSockets finds", async (h) => {
  const srv = await h.server();
  const warn = console.warn;
  const warned = [];
  console.warn = (...a) => warned.push(a.join(" ")); // the in-memory adapter has no serverSideEmit
  try {
    await h.run("11-fetch-sockets", { io: srv.io });
  } finally {
    console.warn = warn;
  }
  assert.match(warned.join("\n"), /serverSideEmit/, "one server alone: serverSideEmit needs an adapter");
  const ada = await h.client("/", { auth: { name: "Ada" } });
  await h.client("/", { auth: { name: "Grace" } });
  const names = await ada.emitWithAck("online");
  assert.deepEqual(names.sort(), ["Ada", "Grace"]);
});

// ---------------------------------------------------------------- lesson 12

// holdTimers takes over the timers of a client's Manager (socket.io): socket.io-client asks it,
// through socket.io.setTimeoutFn, for every reconnection delay, connect timeout and emit timeout.
// The check sees each delay the client chose and runs the timer when it decides: a sample's 1 s
// backoff or 2 s emit timeout is asserted without waiting for it. Timers made before stay real.
function holdTimers(manager) {
  const held = [];
  const added = new EventEmitter();
  const clear = manager.clearTimeoutFn;
  manager.setTimeoutFn = (fn, ms) => {
    const t = { fn, ms, fired: false, cleared: false, unref() {} };
    held.push(t);
    added.emit("timer");
    return t;
  };
  manager.clearTimeoutFn = (t) => (held.includes(t) ? (t.cleared = true) : clear(t));
  return {
    // next resolves with the first pending timer that matches pred, once the client has set it.
    async next(pred = () => true) {
      for (;;) {
        const t = held.find((t) => !t.fired && !t.cleared && pred(t));
        if (t) return t;
        await once(added, "timer");
      }
    },
    fire(t) {
      t.fired = true;
      t.fn();
    },
  };
}

// banners records what a sample's showBanner(text) shows; until(n) waits for the n-th.
function bannerBoard() {
  const shown = [];
  const ev = new EventEmitter();
  return {
    shown,
    showBanner: (text) => ev.emit("banner", shown.push(text)),
    until: (n) => (shown.length >= n ? Promise.resolve() : new Promise((resolve) => ev.on("banner", () => shown.length >= n && resolve()))),
  };
}

const fastReconnect = { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 };

check(["12-disconnect-banner"], "an accident shows Reconnecting… and the client comes back; a kick or our own disconnect() is final", async (h) => {
  const srv = await h.server();
  const socket = h.socket("/", fastReconnect);
  const board = bannerBoard();
  await h.run("12-disconnect-banner", { socket, showBanner: board.showBanner });
  await connected(socket);
  await upgraded(srv.io, socket);
  const back = once(socket, "connect");
  serverSocket(srv.io, socket).conn.close(); // the connection drops: "transport close"
  await back; // by itself
  assert.deepEqual(board.shown, ["Connection lost. Reconnecting…"]);
  serverSocket(srv.io, socket).disconnect(); // the server kicks it
  await board.until(2);
  assert.equal(board.shown[1], "Disconnected (io server disconnect).");
  assert.equal(socket.active, false);
  assert.equal(socket.io._reconnecting, false, "no attempt is scheduled");
  socket.connect(); // only our own call brings it back
  await connected(socket);
  socket.disconnect();
  assert.deepEqual(board.shown.slice(2), ["Disconnected (io client disconnect)."]);
  assert.equal(socket.active, false);
});

check(["12-backoff"], "the waits are about 1 s, 2 s, 4 s, then capped at 5 s; the manager logs each attempt and the return", async (h) => {
  const http = h.httpServer();
  const io = new SampleServer(http);
  await h.listening();
  const { port } = http.address();
  await h.run("12-backoff", page);
  const socket = h.ctx.clients[0];
  await connected(socket);
  await upgraded(io, socket);
  const timers = holdTimers(socket.io);
  // An outage: the server stops listening and its connection drops; attempts 1 to 3 are refused.
  http.close();
  serverSocket(io, socket).conn.close();
  const waits = [];
  for (let n = 1; n <= 4; n++) {
    const t = await timers.next((t) => t.ms !== socket.io.timeout()); // not an attempt's connect timeout (20 s)
    waits.push(t.ms);
    if (n === 4) {
      http.listen(port, "127.0.0.1"); // the server is back before the 4th attempt
      await once(http, "listening");
    }
    timers.fire(t);
    await h.log.until(([what, k]) => what === "attempt" && k === n);
  }
  await h.log.until(([what]) => what === "back after");
  assert.deepEqual(h.log.lines, [["attempt", 1], ["attempt", 2], ["attempt", 3], ["attempt", 4], ["back after", 4, "attempts"]]);
  // 1000 · 2^(n-1) moved by up to ±50%, capped at 5000 (no "gave up": reconnectionAttempts is Infinity).
  const bounds = [[500, 1500], [1000, 3000], [2000, 5000], [4000, 5000]];
  waits.forEach((ms, i) => assert.ok(ms >= bounds[i][0] && ms <= bounds[i][1], `wait ${i + 1}: ${ms} ms, not within ${bounds[i]}`));
});

check(["12-heartbeat-options"], "pingInterval 25000 and pingTimeout 20000 reach the client in the handshake", async (h) => {
  const httpServer = h.httpServer();
  await h.run("12-heartbeat-options", { httpServer, Server: SampleServer }); // Server: imported by the app's own setup
  const io = await h.listening();
  assert.equal(io.engine.opts.pingInterval, 25000);
  assert.equal(io.engine.opts.pingTimeout, 20000);
  const c = await h.client();
  assert.equal(c.io.engine._pingInterval, 25000);
  assert.equal(c.io.engine._pingTimeout, 20000);
});

// deadPort is a port on 127.0.0.1 that nobody listens on.
async function deadPort() {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

check(["12-maintenance"], "refused: err.message and err.data arrive, no retry but the page's own in 30 s; unreachable: retrying", async (h) => {
  // The sample's setTimeout is given: the check sees the 30 s and runs it at once.
  const later = [];
  const scheduled = new EventEmitter();
  const setTimeout = (fn, ms) => scheduled.emit("timer", later.push({ fn, ms }));
  const srv = await h.server();
  const socket = h.socket("/", { ...fastReconnect, autoConnect: false });
  const refused = bannerBoard();
  await h.run("12-maintenance", { io: srv.io, maintenance: true, socket, showBanner: refused.showBanner, setTimeout });
  socket.connect();
  await once(scheduled, "timer");
  assert.deepEqual(refused.shown, ["Refused: maintenance"]);
  assert.equal(socket.active, false);
  assert.equal(socket.io.backoff.attempts, 0, "the client does not retry by itself");
  assert.equal(later[0].ms, 30_000, "err.data.retryIn from the server");
  later[0].fn(); // 30 s later: connect() again, refused again while the maintenance lasts
  await once(scheduled, "timer");
  assert.deepEqual(refused.shown, ["Refused: maintenance", "Refused: maintenance"]);
  assert.equal(srv.io.of("/").sockets.size, 0);

  const open = await h.server(); // no maintenance: in at once, no banner
  const welcome = h.socket("/", { autoConnect: false });
  const none = bannerBoard();
  await h.run("12-maintenance", { io: open.io, maintenance: false, socket: welcome, showBanner: none.showBanner, setTimeout });
  welcome.connect();
  await connected(welcome);
  assert.deepEqual(none.shown, []);

  const lost = ioc(`http://127.0.0.1:${await deadPort()}`, { forceNew: true, autoConnect: false, reconnectionAttempts: 2, reconnectionDelay: 10, randomizationFactor: 0 });
  h.ctx.clients.push(lost);
  const unreachable = bannerBoard();
  await h.run("12-maintenance", { io: open.io, maintenance: true, socket: lost, showBanner: unreachable.showBanner, setTimeout });
  const failed = new Promise((resolve) => lost.io.on("reconnect_failed", resolve)); // (once() would reject on the manager's "error")
  lost.connect();
  await failed;
  assert.deepEqual(unreachable.shown, Array(3).fill("Server unreachable, retrying…"), "the first try and two retries");
  assert.equal(later.length, 2, "nothing scheduled by the page: the backoff does the retrying");
});

check(["12-offline-emits"], "offline: no emit if not connected, the buffer emptied on reconnect_attempt, a timed-out emit never sent", async (h) => {
  const srv = await h.server();
  const got = [];
  srv.io.on("connection", (s) => {
    s.onAny((ev) => got.push(ev));
    s.on("marker", (ack) => ack());
  });
  const socket = await h.client("/", { reconnection: true });
  await upgraded(srv.io, socket);
  const timers = holdTimers(socket.io);
  const gone = once(socket, "disconnect");
  serverSocket(srv.io, socket).conn.close();
  await gone;
  const reconnect = await timers.next(); // the backoff before attempt 1, held
  await h.run("12-offline-emits", { socket, pos: { x: 1, y: 2 } });
  // 1. skipped (offline); 3. buffered, with its 2000 ms timeout.
  assert.deepEqual(socket.sendBuffer.map((p) => p.data), [["cursor", { x: 1, y: 2 }]]);
  const timeout = await timers.next((t) => t !== reconnect);
  assert.equal(timeout.ms, 2000);
  timers.fire(timeout);
  assert.deepEqual(socket.sendBuffer, [], "3. its timeout fired: it left the buffer");
  socket.emit("cursor", { x: 3, y: 4 }); // the app's own emit, made offline
  assert.equal(socket.sendBuffer.length, 1);
  const back = once(socket, "connect");
  timers.fire(reconnect); // reconnect_attempt: 2. empties the buffer
  assert.deepEqual(socket.sendBuffer, []);
  await back;
  await socket.emitWithAck("marker");
  assert.deepEqual(got, ["marker"], "no stale cursor reached the server");
});

check(["12-volatile"], "the server's volatile emit reaches a client that can take it, and skips one whose connection cannot", async (h) => {
  const srv = await h.server();
  // The busy client polls; while its next request is held here, its connection cannot take a packet.
  let busySid = null;
  let heldOne;
  const gotHeld = new Promise((resolve) => (heldOne = resolve));
  const held = [];
  srv.io.engine.use((req, res, next) => {
    const sid = new URL(req.url, "http://x").searchParams.get("sid");
    if (req.method === "GET" && sid !== null && sid === busySid) {
      held.push(next);
      heldOne();
    } else next();
  });
  const healthy = record(await h.client("/", { transports: ["websocket"] }));
  const busy = record(await h.client("/", { transports: ["polling"] }));
  const conn = serverSocket(srv.io, busy).conn;
  busySid = conn.id;
  serverSocket(srv.io, busy).emit("before"); // uses up a pending request, if there is one
  await gotHeld;
  assert.equal(conn.transport.writable, false, "the busy client has no request waiting");
  await h.run("12-volatile", { io: srv.io, x: 10, y: 20 });
  busySid = null;
  for (const next of held) next();
  await fence(srv.io.of("/"), [healthy, busy]);
  assert.deepEqual(healthy.got, [["cursor", { x: 10, y: 20 }], ["fence"]]);
  assert.deepEqual(busy.got, [["before"], ["fence"]], "skipped, not queued: the cursor never reaches the busy client");
});

// ---------------------------------------------------------------- lesson 13
// Tokens signed as the lesson's JWT: base64url header and claims, HMAC-SHA256 with the secret.
const authSecret = "lesson 13 secret";
const b64url = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
function signToken(claims, secret = authSecret) {
  const data = b64url({ alg: "HS256", typ: "JWT" }) + "." + b64url(claims);
  return data + "." + createHmac("sha256", secret).update(data).digest("base64url");
}
// A token with someone else's claims under a real token's signature, as the demo's forge button makes.
const forge = (token, claims) => [token.split(".")[0], b64url(claims), token.split(".")[2]].join(".");
const unixNow = () => Math.floor(Date.now() / 1000);

// lessonVerify runs the lesson's own 13-verify, with TOKEN_SECRET in its environment, and returns its verifyToken.
async function lessonVerify(h) {
  const given = { process: { env: { TOKEN_SECRET: authSecret } } };
  return (await h.run("13-verify", given, ["verifyToken"])).verifyToken;
}

// expiryGuard is the demo's middleware for the client samples: a clock the check moves forward
// instead of waiting, "token expired" with err.data {expiredAt}, and every token it was shown.
function expiryGuard(io) {
  const guard = { skew: 0, tokens: [], now: () => unixNow() + guard.skew };
  io.use((socket, next) => {
    const token = socket.handshake.auth.token;
    guard.tokens.push(token);
    const [head, claims, sig] = String(token ?? "").split(".");
    const want = sig && createHmac("sha256", authSecret).update(head + "." + claims).digest("base64url");
    if (!sig || sig !== want) return next(new Error("invalid token"));
    const { sub, exp } = JSON.parse(Buffer.from(claims, "base64url").toString());
    if (guard.now() >= exp) return next(Object.assign(new Error("token expired"), { data: { expiredAt: exp } }));
    socket.data.user = { name: sub };
    next();
  });
  return guard;
}

// quickRetries shortens a sample's client's reconnection delay (1 s ± 50% by default) with
// socket.io-client's own setters, so a check does not wait seconds; the sample is unchanged.
function quickRetries(socket) {
  socket.io.reconnectionDelay(10);
  socket.io.randomizationFactor(0);
  return socket;
}

// dropped closes a client's connection from the client's side, as a lost network would: the
// client reconnects by itself (its "disconnect" reason is not "io client disconnect").
function dropped(socket) {
  const gone = once(socket, "disconnect");
  socket.io.engine.close();
  return gone;
}

// twoSides is the io of a block that holds both programs, the page's and the server's: called, it
// is the page's global io(); its properties (use, on, emit) are the server's.
const twoSides = (server) =>
  new Proxy(browserIo, { get: (_, key) => (typeof server[key] === "function" ? server[key].bind(server) : server[key]) });

check(["13-verify"], "a token signed with the secret gives its user; forged, expired, missing or re-signed ones give null", async (h) => {
  const verifyToken = await lessonVerify(h);
  const exp = unixNow() + 60;
  const ada = signToken({ sub: "Ada", exp });
  assert.deepEqual(verifyToken(ada), { name: "Ada", exp });
  assert.equal(verifyToken(forge(ada, { sub: "admin", exp })), null, "claims changed, signature kept");
  assert.equal(verifyToken(signToken({ sub: "Ada", exp: unixNow() - 1 })), null, "expired");
  assert.equal(verifyToken(signToken({ sub: "admin", exp }, "a guessed secret")), null, "signed with another secret");
  assert.equal(verifyToken(ada.slice(0, -4)), null, "a shorter signature: refused, timingSafeEqual never throws");
  for (const t of [undefined, null, "", "not a token", ada.split(".").slice(0, 2).join(".")]) {
    assert.equal(verifyToken(t), null, `token ${t}`);
  }
});

check(["13-verify", "13-handshake"], "a valid token is let in with socket.data.user set; a chat message carries the server's name; bad tokens get invalid token", async (h) => {
  const srv = await h.server();
  const verifyToken = await lessonVerify(h);
  const exp = unixNow() + 60;
  const token = signToken({ sub: "Ada", exp });
  await h.run("13-handshake", { io: twoSides(srv.io), token, verifyToken });
  const ada = h.ctx.clients[0];
  await connected(ada);
  assert.deepEqual(serverSocket(srv.io, ada).data.user, { name: "Ada", exp });
  const grace = await h.client("/", { auth: { token: signToken({ sub: "Grace", exp }) } });
  const got = Promise.all([once(ada, "chat message"), once(grace, "chat message")]);
  grace.emit("chat message", "I am Ada");
  assert.deepEqual(await got, [[{ from: "Grace", text: "I am Ada" }], [{ from: "Grace", text: "I am Ada" }]]);
  for (const opts of [
    { auth: { token: forge(token, { sub: "admin", exp }) } },
    { auth: {} },
    { query: { token } }, // in the URL, not in auth: the middleware never sees it
  ]) {
    const err = await h.client("/", opts).then(() => null, (e) => e);
    assert.equal(err?.message, "invalid token", JSON.stringify(opts));
  }
  assert.equal(srv.io.of("/").sockets.size, 2, "only Ada and Grace have a socket on the server");
});

check(["13-auth-object"], "the same object is sent again on reconnection: an expired token is refused with token expired and err.data, and the client stays offline", async (h) => {
  const srv = await h.server();
  const guard = expiryGuard(srv.io);
  const exp = unixNow() + 20;
  const token = signToken({ sub: "Grace", exp });
  await h.run("13-auth-object", { ...page, token });
  const grace = quickRetries(h.ctx.clients[0]);
  await connected(grace);
  guard.skew += 60; // a minute later: the token expired while she was connected, and nothing happened
  assert.equal(grace.connected, true);
  await dropped(grace);
  const [err] = await once(grace, "connect_error");
  assert.equal(err.message, "token expired");
  assert.deepEqual(err.data, { expiredAt: exp });
  assert.equal(grace.active, false, "a refusal ends the retries");
  assert.equal(grace.connected, false);
  assert.deepEqual(guard.tokens, [token, token], "the reconnection sent the same token");
});

// tokenServer is the page's origin: GET /token issues a fresh token (a real app: after checking the
// session cookie), and socket.io with the expiry guard on the same HTTP server.
async function tokenServer(h, ttl) {
  const issued = [];
  const http = createServer((req, res) => {
    if (req.url !== "/token") return res.writeHead(404).end();
    const token = signToken({ sub: "Ada", exp: guard.now() + ttl, n: issued.length + 1 });
    issued.push(token);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token }));
  });
  h.ctx.https.push(http);
  const io = new SampleServer(http);
  const guard = expiryGuard(io);
  await h.listening();
  return { io, guard, issued };
}

check(["13-auth-function"], "auth as a function fetches a token before every attempt: after its token expired, the reconnection gets in with a fresh one", async (h) => {
  const { io, guard, issued } = await tokenServer(h, 20);
  const pageFetch = (path, init) => fetch(new URL(path, h.ctx.url), init); // a page's fetch resolves against its origin
  await h.run("13-auth-function", { ...page, fetch: pageFetch });
  const ada = quickRetries(h.ctx.clients[0]);
  await connected(ada);
  guard.skew += 60; // her first token has expired
  await dropped(ada);
  await once(ada, "connect");
  assert.equal(issued.length, 2, "one fetch per connection attempt");
  assert.deepEqual(guard.tokens, issued, "each attempt sent the token it had just fetched");
  assert.deepEqual(serverSocket(io, ada).data.user, { name: "Ada" });
});

check(["13-auth-object", "13-refresh"], "after token expired the handler sets socket.auth to a new token and connects again; another refusal is left alone", async (h) => {
  const srv = await h.server();
  const guard = expiryGuard(srv.io);
  await h.run("13-auth-object", { ...page, token: signToken({ sub: "Grace", exp: unixNow() + 20 }) });
  const grace = quickRetries(h.ctx.clients[0]);
  await connected(grace);
  const fresh = [];
  const fetchNewToken = async () => fresh[fresh.push(signToken({ sub: "Grace", exp: guard.now() + 20 })) - 1];
  await h.run("13-refresh", { socket: grace, fetchNewToken });
  guard.skew += 60;
  await dropped(grace);
  const [err] = await once(grace, "connect_error");
  assert.equal(err.message, "token expired");
  await once(grace, "connect");
  assert.equal(fresh.length, 1);
  assert.deepEqual(grace.auth, { token: fresh[0] });
  assert.equal(guard.tokens.at(-1), fresh[0], "the new token went in the handshake");
  assert.deepEqual(serverSocket(srv.io, grace).data.user, { name: "Grace" });

  const forged = forge(fresh[0], { sub: "admin", exp: guard.now() + 20 });
  const mallory = h.socket("/", { autoConnect: false, auth: { token: forged } }); // its handler first, as on a page
  await h.run("13-refresh", { socket: mallory, fetchNewToken });
  const refusal = once(mallory, "connect_error");
  mallory.connect();
  const [refused] = await refusal;
  assert.equal(refused.message, "invalid token");
  assert.equal(fresh.length, 1, "no new token for another refusal");
  assert.equal(mallory.active, false, "it stays offline");
});

check(["13-cors-server"], "an allowed Origin gets Access-Control-Allow-Origin and -Credentials; another Origin no Access-Control-Allow-Origin", async (h) => {
  const httpServer = h.httpServer();
  await h.run("13-cors-server", { httpServer, Server: SampleServer }); // Server: imported by a real server file
  await h.listening();
  const url = `${h.ctx.url}/socket.io/?EIO=4&transport=polling`;
  const ok = await fetch(url, { headers: { Origin: "https://app.example" } });
  await ok.text();
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example");
  assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
  const other = await fetch(url, { headers: { Origin: "https://evil.example" } });
  await other.text();
  assert.equal(other.headers.get("access-control-allow-origin"), null, "no Access-Control-Allow-Origin: the browser hides the answer");
  // (the cors package still sends Access-Control-Allow-Credentials: true; without -Origin it lets nothing through)
  assert.equal(other.headers.get("access-control-allow-credentials"), "true");
});

check(["13-cors-server", "13-cors-client"], "with withCredentials the client sends back the cookie the server set; without it, it does not", async (h) => {
  // In Node, socket.io-client keeps a cookie jar only with withCredentials: true; a browser uses its own.
  const httpServer = h.httpServer();
  await h.run("13-cors-server", { httpServer, Server: SampleServer });
  const io = await h.listening();
  io.engine.on("initial_headers", (headers) => (headers["set-cookie"] = ["session=s-ada; Path=/; HttpOnly"]));
  const cookies = new Map(); // engine.io session id -> the cookie headers of its later requests
  const note = (req) => {
    const sid = new URL(req.url, "http://x").searchParams.get("sid");
    if (sid) cookies.set(sid, [...(cookies.get(sid) ?? []), req.headers.cookie]);
  };
  httpServer.prependListener("request", note);
  httpServer.prependListener("upgrade", note);
  await h.run("13-cors-client", page);
  const withCredentials = h.ctx.clients[0];
  await connected(withCredentials);
  const without = await h.client("/"); // a test client, no withCredentials
  const sent = [];
  for (const c of [withCredentials, without]) {
    await upgraded(io, c); // its requests after the handshake are in
    sent.push(cookies.get(serverSocket(io, c).conn.id) ?? []);
  }
  assert.ok(sent[0].length > 0 && sent[0].every((c) => c === "session=s-ada"), `with: ${sent[0]}`);
  assert.ok(sent[1].length > 0 && sent[1].every((c) => c === undefined), `without: ${sent[1]}`);
});

check(["13-recovery"], "a revoked user whose connection only dropped is recovered without the middleware; a new connection is refused", async (h) => {
  const httpServer = h.httpServer();
  await h.run("13-recovery", { httpServer, Server: SampleServer });
  const io = await h.listening();
  assert.deepEqual(io.opts.connectionStateRecovery, { maxDisconnectionDuration: 120_000, skipMiddlewares: true });
  const revoked = new Set();
  let runs = 0;
  io.use((socket, next) => {
    runs++;
    next(revoked.has(socket.handshake.auth.user) ? new Error("revoked") : undefined);
  });
  io.on("connection", (socket) => socket.emit("welcome")); // the client needs one event's offset to recover
  const mallory = h.socket("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0, auth: { user: "mallory" } });
  await once(mallory, "welcome");
  const id = mallory.id;
  revoked.add("mallory");
  await dropped(mallory);
  await once(mallory, "connect");
  assert.equal(mallory.recovered, true);
  assert.equal(mallory.id, id);
  assert.equal(runs, 1, "the middleware did not run for the recovered connection");
  await assert.rejects(h.client("/", { auth: { user: "mallory" } }), { message: "revoked" });
  assert.equal(runs, 2);
});

// ---------------------------------------------------------------- lesson 14
check(["14-client"], "a Node client with the server's path connects, logs its id and what it receives", async (h) => {
  const path = "/play/k3x9q/socket.io/";
  const auths = [];
  await h.server({ path }, (io) => io.on("connection", (s) => {
    auths.push(s.handshake.auth);
    s.emit("hello", s.id);
  }));
  await h.run("14-client");
  await h.log.until(([first]) => first === "received");
  const id = h.ctx.clients[0].id;
  assert.deepEqual(h.log.lines, [["connected as", id], ["received", "hello", [id]]]);
  assert.deepEqual(auths, [{ name: "me" }]);
});

check(["14-server"], "its own server, on the default path: a welcome by name, and chat relayed to all", async (h) => {
  await h.run("14-server");
  await h.listening();
  const me = h.socket("/", { auth: { name: "me" } });
  const anon = h.socket("/");
  assert.deepEqual(await once(me, "welcome"), ["hello me"]);
  assert.deepEqual(await once(anon, "welcome"), ["hello stranger"]);
  const got = once(anon, "chat message");
  me.emit("chat message", "hi");
  assert.deepEqual(await got, ["hi"]);
});

// ---------------------------------------------------------------- the whole set
test("every sample ran or is a fragment with a reason", () => {
  assert.deepEqual(unnamed, [], "js fences without sample=NAME (see docs/authoring.md)");
  const fragments = [...samples.values()].filter((s) => s.fragment).map((s) => s.name).sort();
  assert.deepEqual(fragments, Object.keys(FRAGMENTS).sort(), "fragments marked in the lessons = FRAGMENTS");
  const notRun = [...samples.values()].filter((s) => !s.fragment && !ran.has(s.name)).map((s) => `${s.file}:${s.line - 1} ${s.name}`);
  assert.deepEqual(notRun, [], "samples no test runs");
  console.log(`lesson samples: ${ran.size} run, ${fragments.length} fragments`);
});
