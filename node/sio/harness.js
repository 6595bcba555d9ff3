// Test harness for static/js/sio.js: one Node http server (127.0.0.1, ephemeral port) that serves a
// tiny page importing sio.js, real socket.io 4.8.4 servers on several paths, and a fake Engine.IO
// endpoint that never pings; plus a headless Debian Chromium driven by playwright-core.
import http from "node:http";
import { readFile } from "node:fs/promises";
import { Server } from "socket.io";
import { WebSocketServer } from "ws";
import { chromium } from "playwright-core";

const SIO_JS = new URL("../../static/js/sio.js", import.meta.url);
// The npm socket.io-client's own browser build, served from node_modules (never copied into the
// repo), so a test can run the same scenario with both clients in the same page.
const REAL_JS = new URL("../node_modules/socket.io-client/dist/socket.io.esm.min.js", import.meta.url);

// The page exposes the module as window.sio plus two helpers used by the tests:
// next(emitter, ev) → Promise of the next event's arguments; and count(emitter, ev) → {n}.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>sio.js test</title></head><body>
<script type="module">
import * as sio from "/sio.js";
import { io as realIo } from "/real.js";
window.sio = sio;
window.real = { io: realIo };
window.next = (emitter, ev) => new Promise((resolve) => emitter.once(ev, (...args) => resolve(args)));
window.count = (emitter, ev) => { const c = { n: 0 }; emitter.on(ev, () => c.n++); return c; };
// The "bin" test payload: every kind of binary the clients send, nested too.
window.binPayload = () => ({
  u8: new Uint8Array([1, 2, 3]),
  ab: new Uint8Array([4, 5]).buffer,
  list: [new Uint8Array([0, 6, 0]).subarray(1, 2)],
  blob: new Blob([new Uint8Array([11, 12])]),
  view: new DataView(new Uint8Array([13]).buffer),
});
// Resolves once socket s is connected and its connection has upgraded to WebSocket.
window.upgraded = async (s) => {
  if (!s.connected) await next(s, "connect");
  if (s.io.engine.transport.name !== "websocket") await next(s.io.engine, "upgrade");
};
window.sioReady = true;
</script></body></html>`;

/** The fake Engine.IO endpoint's handshake (pings every 100 ms promised, none sent). */
const FAKE_OPEN = '0{"sid":"FAKESID","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":1000000}';

export async function startServer() {
  const [sioSource, realSource] = await Promise.all([readFile(SIO_JS), readFile(REAL_JS)]);
  const httpServer = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://x");
    if (pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(PAGE);
    } else if (pathname === "/sio.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      res.end(sioSource);
    } else if (pathname === "/real.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      res.end(realSource);
    } else if (pathname === "/fakepoll/") {
      fakePoll(req, res);
    } else if (pathname === "/favicon.ico") {
      res.writeHead(204);
      res.end();
    }
    // Everything else belongs to the socket.io servers (engine.io answers its own paths).
  });

  // Engine connections seen per ?tag=, so a test can count the connections its page opened.
  const engineConns = new Map();
  const countConns = (io) =>
    io.engine.on("connection", (conn) => {
      const tag = new URL(conn.request.url, "http://x").searchParams.get("tag");
      if (tag) engineConns.set(tag, (engineConns.get(tag) ?? 0) + 1);
    });

  // What the server saw of each tagged connection at the Engine.IO level, in order: the handshake's
  // transport, the upgrade, each message with the transport it came over, the close reason.
  const engineLog = new Map();
  // HTTP long-polling requests per ?tag=: how many GETs and POSTs, how many are still open, and
  // how many the client gave up on (the connection closed before the server answered).
  const polls = new Map();
  const countPolls = (req, res) => {
    const q = new URL(req.url, "http://x").searchParams;
    const tag = q.get("tag");
    if (!tag || q.get("transport") !== "polling") return;
    if (!polls.has(tag)) polls.set(tag, { GET: 0, POST: 0, open: 0, aborted: 0 });
    const p = polls.get(tag);
    p[req.method]++;
    p.open++;
    res.once("close", () => {
      p.open--;
      if (!res.writableFinished) p.aborted++;
    });
  };
  const logEngine = (io) =>
    io.engine.on("connection", (conn) => {
      const tag = new URL(conn.request.url, "http://x").searchParams.get("tag");
      if (!tag) return;
      const log = [];
      engineLog.set(tag, log);
      log.push(["open", conn.transport.name]);
      conn.on("upgrade", (t) => log.push(["upgrade", t.name]));
      conn.on("packet", (p) => p.type === "message" && log.push(["message", conn.transport.name, p.data]));
      conn.on("close", (reason) => log.push(["close", reason]));
    });

  httpServer.setMaxListeners(20); // each Server below listens for its "close"
  const main = new Server(httpServer, { destroyUpgrade: false });
  const rec = new Server(httpServer, {
    path: "/rec/",
    destroyUpgrade: false,
    connectionStateRecovery: { maxDisconnectionDuration: 30_000 },
  });
  const hb = new Server(httpServer, { path: "/hb/", destroyUpgrade: false, pingInterval: 100, pingTimeout: 1000 });
  // Refuses every request whose Origin header is not the (unused) origin it allows, like a
  // server deployed behind another host name than the page's.
  const strict = new Server(httpServer, {
    path: "/strict/",
    destroyUpgrade: false,
    allowRequest: (req, cb) => cb(null, req.headers.origin === undefined || req.headers.origin === "http://allowed.invalid"),
  });
  // Polling only (a WebSocket request is refused with 400), for tryAllTransports.
  const pollOnly = new Server(httpServer, { path: "/pollonly/", destroyUpgrade: false, transports: ["polling"] });
  pollOnly.on("connection", (socket) => socket.on("echo", (...args) => args.pop()(...args)));
  // Sets the engine.io "io" cookie and allows credentialed requests from any origin (reflected),
  // for withCredentials: which polling requests came back with the cookie, per ?tag=.
  const cookies = new Map();
  const cookie = new Server(httpServer, {
    path: "/cookie/",
    destroyUpgrade: false,
    transports: ["polling"],
    cookie: { name: "io", sameSite: "lax", httpOnly: true },
    cors: { origin: true, credentials: true },
  });
  cookie.engine.on("connection", (conn) => {
    const tag = new URL(conn.request.url, "http://x").searchParams.get("tag");
    if (tag) cookies.set(tag, []);
  });
  httpServer.prependListener("request", (req) => {
    const q = new URL(req.url, "http://x").searchParams;
    if (!req.url.startsWith("/cookie/") || !q.get("sid") || !cookies.has(q.get("tag"))) return;
    cookies.get(q.get("tag")).push(/(^|; )io=/.test(req.headers.cookie ?? ""));
  });
  for (const io of [main, rec, hb, strict, pollOnly, cookie]) countConns(io);
  for (const io of [main, rec, hb]) logEngine(io);
  // First in line: engine.io wraps the "request" listeners that exist when a Server attaches.
  httpServer.prependListener("request", countPolls);

  // What each client (auth.tag) emitted with "record", and server-side disconnect reasons.
  const records = new Map();
  const reasons = new Map();

  main.on("connection", (socket) => {
    const tag = socket.handshake.auth?.tag;
    socket.on("disconnect", (reason) => tag && reasons.set(tag, reason));
    socket.on("whoami", (ack) =>
      ack({ id: socket.id, conn: socket.conn.id, auth: socket.handshake.auth, nsp: socket.nsp.name }),
    );
    socket.on("echo", (...args) => args.pop()(...args));
    socket.on("noack", () => {});
    socket.on("ask", async (n, ack) => {
      try {
        ack({ answer: await socket.timeout(2000).emitWithAck("question", n) });
      } catch (err) {
        ack({ error: err.message });
      }
    });
    socket.on("bin", (payload, ack) =>
      ack({
        u8: [...payload.u8],
        ab: [...payload.ab],
        nested: [...payload.list[0]],
        blob: [...payload.blob],
        view: [...payload.view],
        isBuffer: Buffer.isBuffer(payload.u8) && Buffer.isBuffer(payload.ab),
        back: Buffer.from([7, 8, 9]),
        deep: { more: [Buffer.from([10])] },
      }),
    );
    socket.on("binq", async (ack) => {
      const reply = await socket.timeout(2000).emitWithAck("binq", Buffer.from([1, 2, 3]), { x: Buffer.from([5]) });
      ack({ reply: [...reply], isBuffer: Buffer.isBuffer(reply) });
    });
    socket.on("record", (v) => {
      if (!records.has(tag)) records.set(tag, []);
      records.get(tag).push(v);
    });
    socket.on("records", (ack) => ack(records.get(tag) ?? []));
    socket.on("kick", () => socket.disconnect());
    socket.on("kill", () => socket.conn.close());
  });
  main.of("/orders").on("connection", (socket) => {
    socket.on("whoami", (ack) => ack({ id: socket.id, conn: socket.conn.id, nsp: socket.nsp.name }));
  });
  main.of("/private").use((socket, next) => {
    const err = new Error("not authorized");
    err.data = { code: 401, token: socket.handshake.auth?.token ?? null };
    next(err);
  });

  rec.on("connection", (socket) => {
    socket.emit("hello", "first");
    socket.on("whoami", (ack) => ack({ id: socket.id, recovered: socket.recovered }));
    socket.on("kill", () => socket.conn.close());
    // Emitted while the client is away: stored by the session-aware adapter and replayed.
    socket.on("disconnect", () => rec.to(socket.id).emit("missed", "while away", 2));
  });

  hb.on("connection", (socket) => {
    let pongs = 0;
    socket.conn.on("packet", (p) => {
      if (p.type === "pong" && ++pongs === 3) socket.emit("pongs", pongs);
    });
  });

  // A fake polling endpoint (one session at a time): the handshake (pings promised every 100 ms,
  // none sent, no upgrade), the CONNECT reply once "40" was posted, then GETs held unanswered.
  const fakePolls = { held: 0, aborted: 0, posts: [] };
  let fakeHeld = null;
  let fakeConnect = false;
  function fakePoll(req, res) {
    const q = new URL(req.url, "http://x").searchParams;
    const answer = (body) => {
      res.writeHead(200, { "content-type": "text/plain; charset=UTF-8" });
      res.end(body);
    };
    if (req.method === "POST") {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        fakePolls.posts.push(body);
        if (body === "40") {
          if (fakeHeld) {
            const held = fakeHeld;
            fakeHeld = null;
            held();
          } else fakeConnect = true;
        }
        answer("ok");
      });
      return;
    }
    if (!q.get("sid")) {
      fakeConnect = false;
      return answer(FAKE_OPEN.replace("FAKESID", "FAKEPOLL"));
    }
    if (fakeConnect) {
      fakeConnect = false;
      return answer('40{"sid":"FAKESOCKET"}');
    }
    fakePolls.held++;
    let answered = false;
    res.once("close", () => {
      fakePolls.held--;
      if (!answered) fakePolls.aborted++;
    });
    if (!fakeHeld) {
      fakeHeld = () => {
        answered = true;
        answer('40{"sid":"FAKESOCKET"}');
      };
    }
  }

  const fake = new WebSocketServer({ noServer: true });
  // ?mode= "silent" (default): handshake, CONNECT reply, then no pings; "no-open": never sends the
  // handshake; "refuse": HTTP 400 instead of the upgrade; "bad": long ping interval, then an invalid EVENT right after the CONNECT reply.
  fake.on("connection", (ws, req) => {
    const mode = new URL(req.url, "http://x").searchParams.get("mode") ?? "silent";
    if (mode === "no-open") return;
    ws.send(mode === "bad" ? FAKE_OPEN.replace(/"ping(Interval|Timeout)":100/g, '"ping$1":60000') : FAKE_OPEN);
    ws.on("message", (data) => {
      if (String(data) !== "40") return;
      ws.send('40{"sid":"FAKESOCKET"}');
      if (mode === "bad") ws.send("42{}");
    });
  });
  httpServer.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname !== "/fake/" && url.pathname !== "/pollonly/") return;
    if (url.pathname === "/pollonly/" || url.searchParams.get("mode") === "refuse") {
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    fake.handleUpgrade(req, socket, head, (ws) => fake.emit("connection", ws, req));
  });

  await new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(0, "127.0.0.1", resolve);
  });
  const { port } = httpServer.address();
  // The same pages from another origin (another port): a cross-origin client of the servers above.
  const otherOrigin = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://x");
    const body = { "/": [PAGE, "text/html"], "/sio.js": [sioSource, "text/javascript"], "/real.js": [realSource, "text/javascript"] }[pathname];
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": body[1] + "; charset=utf-8" });
    res.end(body[0]);
  });
  await new Promise((resolve, reject) => {
    otherOrigin.once("error", reject);
    otherOrigin.listen(0, "127.0.0.1", resolve);
  });
  return {
    base: `http://127.0.0.1:${port}`,
    otherBase: `http://127.0.0.1:${otherOrigin.address().port}`,
    main,
    rec,
    engineConns,
    engineLog,
    polls,
    fakePolls,
    cookies,
    reasons,
    async close() {
      for (const ws of fake.clients) ws.terminate();
      fake.close();
      const closed = new Promise((r) => httpServer.once("close", r));
      for (const io of [main, rec, hb, strict, pollOnly, cookie]) io.close(); // also closes httpServer
      httpServer.closeAllConnections();
      otherOrigin.closeAllConnections();
      otherOrigin.close();
      await closed;
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** A page that records uncaught errors in page.sioErrors. */
export async function openPage(browser) {
  const page = await browser.newPage();
  page.sioErrors = [];
  page.on("pageerror", (err) => page.sioErrors.push(err));
  return page;
}

/** (Re)loads the test document: window.sio, next and count are ready when this returns. */
export async function loadPage(page, base) {
  await page.goto(base + "/");
  await page.waitForFunction(() => window.sioReady === true);
}
