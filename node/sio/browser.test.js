// static/js/sio.js in headless Chromium against the real npm socket.io 4.8.4 server.
// Every wait is on an event; the only fixed waits prove an absence (no reconnection) and are
// several times the configured maximum reconnection delay.
import { describe, test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, openPage, loadPage } from "./harness.js";

const T = { timeout: 15_000 };
// Fast reconnection so the suite stays short.
const FAST = { reconnectionDelay: 50, reconnectionDelayMax: 100 };

let srv, browser, page;

before(async () => {
  [srv, browser] = await Promise.all([startServer(), launchBrowser()]);
  page = await openPage(browser);
});

after(async () => {
  await browser?.close();
  await srv?.close();
});

// One page for the whole suite (a new page costs ~0.5 s, several under load); each test gets a
// fresh document, so the previous test's sockets are closed and no state leaks.
beforeEach(async () => {
  await loadPage(page, srv.base);
});

afterEach(() => {
  assert.deepEqual(page.sioErrors.splice(0).map(String), [], "uncaught errors in the page");
});

describe("connect", () => {
  test("id equals the server socket id; auth reaches the handshake", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, { auth: { tag: "c1", token: "abc" } });
      await next(s, "connect");
      const who = await s.emitWithAck("whoami");
      return { id: s.id, connected: s.connected, active: s.active, recovered: s.recovered, who, eio: s.io.engine.id };
    }, srv.base);
    assert.equal(got.id, got.who.id);
    assert.equal(typeof got.id, "string");
    assert.notEqual(got.id, got.eio, "socket id must differ from the Engine.IO sid");
    assert.equal(got.who.conn, got.eio);
    assert.deepEqual(got.who.auth, { tag: "c1", token: "abc" });
    assert.equal(got.connected, true);
    assert.equal(got.active, true);
    assert.equal(got.recovered, false);
  });

  test("engine packet / packetCreate events show the wire, over polling and then WebSocket", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, { path: "/hb/" });
      const rx = [];
      const tx = [];
      s.io.engine.on("packet", (p) => rx.push({ ...p, on: s.io.engine.transport.name }));
      s.io.engine.on("packetCreate", (p) => tx.push({ ...p, on: s.io.engine.transport.name }));
      await upgraded(s);
      await next(s.io, "ping"); // a ping after the upgrade
      return { rx, tx, transport: s.io.engine.transport.name, id: s.id };
    }, srv.base);
    assert.equal(got.transport, "websocket");
    assert.deepEqual(got.rx.slice(0, 2).map((p) => [p.type, p.on]), [["open", "polling"], ["message", "polling"]]);
    assert.equal(JSON.parse(got.rx[0].data).pingInterval, 100);
    assert.deepEqual(JSON.parse(got.rx[0].data).upgrades, ["websocket"]);
    assert.equal(got.rx[1].data, `0{"sid":"${got.id}"}`);
    assert.deepEqual(got.rx.at(-1), { type: "ping", on: "websocket" });
    assert.deepEqual(got.tx[0], { type: "message", data: "0", on: "polling" });
    assert.deepEqual(got.tx.at(-1), { type: "pong", on: "websocket" });
  });

  test("auth may be a function(cb)", T, async () => {
    const auth = await page.evaluate(async (base) => {
      const s = sio.io(base, { auth: (cb) => cb({ tag: "fn" }) });
      await next(s, "connect");
      return (await s.emitWithAck("whoami")).auth;
    }, srv.base);
    assert.deepEqual(auth, { tag: "fn" });
  });

  test("unknown namespace: connect_error Invalid namespace, socket inactive", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base + "/nope");
      const [err] = await next(s, "connect_error");
      return { message: err.message, active: s.active, connected: s.connected };
    }, srv.base);
    assert.deepEqual(got, { message: "Invalid namespace", active: false, connected: false });
  });

  test("unknown transports only: connect_error 'No transports available'", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, { transports: ["carrier-pigeon"], reconnection: false });
      const [err] = await next(s, "connect_error");
      return { message: err.message ?? String(err), connected: s.connected };
    }, srv.base);
    assert.deepEqual(got, { message: "No transports available", connected: false });
  });
});

describe("emit and acks", () => {
  test("client → server ack, with several arguments", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base);
      const r = await new Promise((resolve) => s.emit("echo", 1, "2", { 3: [true] }, (...args) => resolve(args)));
      return r;
    }, srv.base);
    assert.deepEqual(got, [1, "2", { 3: [true] }]);
  });

  test("server → client ack: the handler gets a callback as last argument", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base);
      s.on("question", (n, ack) => ack(n + 1, "ignored extra"));
      return s.emitWithAck("ask", 41);
    }, srv.base);
    assert.deepEqual(got, { answer: 42 });
  });

  test("emitWithAck resolves with the first response argument", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base);
      return [await s.emitWithAck("echo", "a", "b"), await s.timeout(2000).emitWithAck("echo", "c")];
    }, srv.base);
    assert.deepEqual(got, ["a", "c"]);
  });

  test("timeout(ms).emit calls back with 'operation has timed out'; emitWithAck rejects", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base);
      await next(s, "connect");
      const t0 = performance.now();
      const cb = await new Promise((resolve) =>
        s.timeout(100).emit("noack", 1, (err, ...rest) => resolve({ message: err?.message, rest, ms: performance.now() - t0 })),
      );
      const rejected = await s.timeout(50).emitWithAck("noack").then(() => "resolved", (err) => err.message);
      const ok = await new Promise((resolve) => s.timeout(2000).emit("echo", "x", (...args) => resolve(args)));
      return { cb, rejected, ok, pending: Object.keys(s.acks).length };
    }, srv.base);
    assert.equal(got.cb.message, "operation has timed out");
    assert.deepEqual(got.cb.rest, []);
    assert.ok(got.cb.ms >= 90, `timed out after ${got.cb.ms} ms`);
    assert.equal(got.rejected, "operation has timed out");
    assert.deepEqual(got.ok, [null, "x"], "with a timeout the ack gets (err=null, ...response)");
    assert.equal(got.pending, 0);
  });

  test("a throwing listener is reported and the next listener still runs", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base);
      s.on("question", () => {
        throw new Error("boom in a listener");
      });
      s.on("question", (n, ack) => ack(n * 2));
      return s.emitWithAck("ask", 21);
    }, srv.base);
    assert.deepEqual(got, { answer: 42 });
    await waitFor(() => page.sioErrors.length > 0); // CDP delivers the page error on its own
    const reported = page.sioErrors.splice(0).map((e) => e.message);
    assert.deepEqual(reported, ["boom in a listener"]);
  });

  test("reserved event names throw", T, async () => {
    const msg = await page.evaluate((base) => {
      const s = sio.io(base, { autoConnect: false });
      try {
        s.emit("disconnect");
        return "no error";
      } catch (err) {
        return err.message;
      }
    }, srv.base);
    assert.equal(msg, '"disconnect" is a reserved event name');
  });

  test("onAny sees incoming events; onAnyOutgoing sees emits", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base);
      const any = [];
      const out = [];
      s.onAny((...args) => any.push(args.filter((a) => typeof a !== "function")));
      s.onAnyOutgoing((...args) => out.push(args.filter((a) => typeof a !== "function")));
      s.on("question", (n, ack) => ack(n));
      await s.emitWithAck("ask", 7);
      return { any, out };
    }, srv.base);
    assert.deepEqual(got.any, [["question", 7]]);
    assert.deepEqual(got.out, [["ask", 7]]);
  });
});

describe("binary", () => {
  test("client → server: Uint8Array, ArrayBuffer, Blob, DataView, nested; binary ack back as ArrayBuffer", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base);
      const r = await s.emitWithAck("bin", binPayload());
      return {
        ...r,
        back: r.back instanceof ArrayBuffer ? [...new Uint8Array(r.back)] : String(r.back),
        deep: r.deep.more[0] instanceof ArrayBuffer ? [...new Uint8Array(r.deep.more[0])] : String(r.deep.more[0]),
      };
    }, srv.base);
    assert.deepEqual(got, {
      u8: [1, 2, 3],
      ab: [4, 5],
      nested: [6],
      blob: [11, 12],
      view: [13],
      isBuffer: true,
      back: [7, 8, 9],
      deep: [10],
    });
  });

  test("server → client binary event with ack; client answers with binary", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base);
      const seen = {};
      s.on("binq", (buf, obj, ack) => {
        seen.buf = buf instanceof ArrayBuffer ? [...new Uint8Array(buf)] : String(buf);
        seen.x = obj.x instanceof ArrayBuffer ? [...new Uint8Array(obj.x)] : String(obj.x);
        ack(new Uint8Array([...new Uint8Array(buf)].reverse()));
      });
      const r = await s.emitWithAck("binq");
      return { seen, r };
    }, srv.base);
    assert.deepEqual(got.seen, { buf: [1, 2, 3], x: [5] });
    assert.deepEqual(got.r, { reply: [3, 2, 1], isBuffer: true });
  });
});

describe("namespaces", () => {
  test("namespaces on one url+path share one Engine.IO connection; forceNew opens another", T, async () => {
    const got = await page.evaluate(async (base) => {
      const a = sio.io(base, { query: { tag: "mux" } });
      const b = sio.io(base + "/orders", { query: { tag: "mux" } });
      const c = sio.io(base + "/orders", { forceNew: true, query: { tag: "mux-new" } });
      // The same namespace again on the same url also gets its own connection (like socket.io-client).
      const d = sio.io(base + "/orders", { query: { tag: "mux-same" } });
      const [wa, wb, wc, wd] = await Promise.all([a, b, c, d].map((s) => s.emitWithAck("whoami")));
      return {
        sameManager: a.io === b.io,
        otherManager: c.io !== b.io && d.io !== b.io,
        ids: [a.id === wa.id, b.id === wb.id, c.id === wc.id, d.id === wd.id],
        conns: [wa.conn, wb.conn, wc.conn, wd.conn],
        nsps: [wa.nsp, wb.nsp],
      };
    }, srv.base);
    assert.equal(got.sameManager, true);
    assert.equal(got.otherManager, true);
    assert.deepEqual(got.ids, [true, true, true, true]);
    assert.deepEqual(got.nsps, ["/", "/orders"]);
    assert.equal(got.conns[0], got.conns[1], "server: both namespaces on one engine connection");
    assert.notEqual(got.conns[2], got.conns[1]);
    assert.notEqual(got.conns[3], got.conns[1]);
    assert.equal(srv.engineConns.get("mux"), 1);
    assert.equal(srv.engineConns.get("mux-new"), 1);
    assert.equal(srv.engineConns.get("mux-same"), 1);
  });

  test("leaving one namespace keeps the shared connection for the other", T, async () => {
    const got = await page.evaluate(async (base) => {
      const a = sio.io(base, { query: { tag: "leave" } });
      const b = sio.io(base + "/orders", { query: { tag: "leave" } });
      await Promise.all([next(a, "connect"), next(b, "connect")]);
      const reason = next(b, "disconnect");
      b.disconnect();
      const who = await a.emitWithAck("whoami");
      return { reason: (await reason)[0], aConnected: a.connected, bActive: b.active, engine: a.io._readyState, same: who.conn === a.io.engine.id };
    }, srv.base);
    assert.equal(got.reason, "io client disconnect");
    assert.equal(got.aConnected, true);
    assert.equal(got.bActive, false);
    assert.equal(got.engine, "open");
    assert.equal(got.same, true);
    assert.equal(srv.engineConns.get("leave"), 1);
  });
});

describe("refusal and disconnects", () => {
  test("middleware refusal: connect_error with message and data, no reconnection", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base + "/private", { auth: { token: "t" }, reconnectionDelay: 20, reconnectionDelayMax: 50 });
      const attempts = count(s.io, "reconnect_attempt");
      const connects = count(s, "connect");
      const disconnects = count(s, "disconnect");
      const [err] = await next(s, "connect_error");
      // Absence check: 6× the maximum reconnection delay.
      await new Promise((r) => setTimeout(r, 300));
      return {
        message: err.message,
        data: err.data,
        active: s.active,
        connected: s.connected,
        attempts: attempts.n,
        connects: connects.n,
        disconnects: disconnects.n,
        manager: s.io._readyState,
        engine: s.io.engine.readyState,
      };
    }, srv.base);
    assert.deepEqual(got, {
      message: "not authorized",
      data: { code: 401, token: "t" },
      active: false,
      connected: false,
      attempts: 0,
      connects: 0,
      disconnects: 0,
      manager: "closed",
      engine: "closed",
    });
  });

  test("server socket.disconnect(): 'io server disconnect', no reconnection", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, { ...{ reconnectionDelay: 20, reconnectionDelayMax: 50 }, auth: { tag: "kick" } });
      await next(s, "connect");
      const attempts = count(s.io, "reconnect_attempt");
      const reason = next(s, "disconnect");
      s.emit("kick");
      const [r] = await reason;
      await new Promise((res) => setTimeout(res, 300));
      return { reason: r, active: s.active, connected: s.connected, id: s.id ?? null, attempts: attempts.n };
    }, srv.base);
    assert.deepEqual(got, { reason: "io server disconnect", active: false, connected: false, id: null, attempts: 0 });
    assert.equal(srv.reasons.get("kick"), "server namespace disconnect");
  });

  test("client disconnect(): 'io client disconnect' on both sides, connection closed", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, { auth: { tag: "bye" } });
      await next(s, "connect");
      const reason = next(s, "disconnect");
      const closed = next(s.io.engine, "close");
      s.disconnect();
      return { reason: (await reason)[0], engine: (await closed)[0], active: s.active };
    }, srv.base);
    assert.deepEqual(got, { reason: "io client disconnect", engine: "forced close", active: false });
    await waitFor(() => srv.reasons.get("bye"));
    assert.equal(srv.reasons.get("bye"), "client namespace disconnect");
  });

  test("server kills the transport: 'transport close', reconnect, buffered emits flushed (a volatile one too, before the next attempt)", T, async () => {
    const got = await page.evaluate(async (opts) => {
      const s = sio.io(opts.base, { ...opts.fast, auth: { tag: "rc" } });
      await upgraded(s); // while polling POSTs or the upgrade is under way, a volatile emit is dropped
      await s.emitWithAck("echo"); // and until the WebSocket has sent the "5" (bufferedAmount 0)
      const firstId = s.id;
      s.volatile.emit("record", "volatile-healthy");
      await s.emitWithAck("echo"); // round trip: the volatile emit went out before this
      const attempts = [];
      s.io.on("reconnect_attempt", (n) => attempts.push(n));
      const reconnected = next(s.io, "reconnect");
      const disconnected = next(s, "disconnect");
      s.emit("kill");
      const [reason] = await disconnected;
      const whileDown = { connected: s.connected, active: s.active, id: s.id ?? null };
      s.emit("record", "buffered");
      s.volatile.emit("record", "volatile-offline"); // buffered: see "volatile emits while disconnected"
      const [attempt] = await reconnected;
      if (!s.connected) await next(s, "connect");
      const records = await s.emitWithAck("records");
      return { reason, whileDown, attempt, attempts, records, idChanged: s.id !== firstId, recovered: s.recovered };
    }, { base: srv.base, fast: FAST });
    assert.equal(got.reason, "transport close");
    assert.deepEqual(got.whileDown, { connected: false, active: true, id: null });
    assert.equal(got.attempt, 1);
    assert.deepEqual(got.attempts, [1]);
    assert.deepEqual(got.records, ["volatile-healthy", "buffered", "volatile-offline"]);
    assert.equal(got.idChanged, true);
    assert.equal(got.recovered, false);
    assert.equal(srv.reasons.get("rc"), "forced close");
  });
});

describe("heartbeat", () => {
  test("answers pings: the server counts 3 pongs and the socket stays connected", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, { path: "/hb/" });
      const pings = count(s.io, "ping");
      const disconnects = count(s, "disconnect");
      const [n] = await next(s, "pongs");
      return { n, pings: pings.n, connected: s.connected, disconnects: disconnects.n };
    }, srv.base);
    assert.equal(got.n, 3);
    assert.ok(got.pings >= 3);
    assert.equal(got.connected, true);
    assert.equal(got.disconnects, 0);
  });

  test("no ping within pingInterval + pingTimeout: 'ping timeout', then reconnection", T, async () => {
    const got = await page.evaluate(async (opts) => {
      const s = sio.io(opts.base, { path: "/fake/", transports: ["websocket"], ...opts.fast });
      let t0 = 0;
      s.io.once("open", () => (t0 = performance.now())); // the client's timer starts at the handshake
      await next(s, "connect");
      const id = s.id;
      const [reason] = await next(s, "disconnect");
      const ms = performance.now() - t0;
      await next(s.io, "reconnect");
      await next(s, "connect");
      return { id, reason, ms };
    }, { base: srv.base, fast: FAST });
    assert.equal(got.id, "FAKESOCKET");
    assert.equal(got.reason, "ping timeout");
    assert.ok(got.ms >= 190, `ping timeout after ${got.ms} ms, want 200 (pingInterval + pingTimeout)`);
  });
});

describe("failures", () => {
  test("no handshake within timeout: connect_error 'timeout', backoff attempts, reconnect_failed", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, {
        path: "/fake/",
        transports: ["websocket"],
        query: { mode: "no-open" },
        timeout: 100,
        reconnectionAttempts: 2,
        reconnectionDelay: 20,
        reconnectionDelayMax: 40,
      });
      const errors = [];
      s.on("connect_error", (err) => errors.push(err.message));
      const attempts = [];
      s.io.on("reconnect_attempt", (n) => attempts.push(n));
      const reconnectErrors = count(s.io, "reconnect_error");
      await next(s.io, "reconnect_failed");
      return { errors, attempts, reconnectErrors: reconnectErrors.n, connected: s.connected, manager: s.io._readyState };
    }, srv.base);
    assert.deepEqual(got, {
      errors: ["timeout", "timeout", "timeout"],
      attempts: [1, 2],
      reconnectErrors: 2,
      connected: false,
      manager: "closed",
    });
  });

  test("WebSocket refused (HTTP 400): connect_error 'websocket error', reconnect_error, reconnect_failed", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, {
        path: "/fake/",
        transports: ["websocket"],
        query: { mode: "refuse" },
        reconnectionAttempts: 1,
        reconnectionDelay: 20,
        reconnectionDelayMax: 40,
      });
      const errors = [];
      s.on("connect_error", (err) => errors.push([err.message, err.type]));
      const reconnectErrors = count(s.io, "reconnect_error");
      await next(s.io, "reconnect_failed");
      return { errors, reconnectErrors: reconnectErrors.n, active: s.active };
    }, srv.base);
    assert.deepEqual(got, {
      errors: [
        ["websocket error", "TransportError"],
        ["websocket error", "TransportError"],
      ],
      reconnectErrors: 1,
      active: true,
    });
  });

  test("invalid packet from the server: disconnect 'parse error', then reconnection", T, async () => {
    const got = await page.evaluate(async (opts) => {
      const s = sio.io(opts.base, { path: "/fake/", transports: ["websocket"], query: { mode: "bad" }, ...opts.fast });
      await next(s, "connect");
      const [reason] = await next(s, "disconnect");
      const [attempt] = await next(s.io, "reconnect_attempt");
      s.disconnect();
      return { reason, attempt, active: s.active };
    }, { base: srv.base, fast: FAST });
    assert.deepEqual(got, { reason: "parse error", attempt: 1, active: false });
  });
});

describe("connection state recovery", () => {
  test("pid + offset sent on reconnect: same id, recovered, missed event replayed, offsets stripped", T, async () => {
    const got = await page.evaluate(async (opts) => {
      const s = sio.io(opts.base, { path: "/rec/", ...opts.fast });
      const [hello] = await Promise.all([next(s, "hello"), next(s, "connect")]);
      const first = { id: s.id, recovered: s.recovered, offset: typeof s._lastOffset };
      const missed = next(s, "missed");
      const disconnected = next(s, "disconnect");
      s.emit("kill");
      const [reason] = await disconnected;
      await next(s, "connect");
      const who = await s.emitWithAck("whoami");
      return { hello, first, reason, missed: await missed, id: s.id, recovered: s.recovered, who };
    }, { base: srv.base, fast: FAST });
    assert.deepEqual(got.hello, ["first"], "the offset argument must be stripped");
    assert.deepEqual(got.first.recovered, false);
    assert.equal(got.first.offset, "string");
    assert.equal(got.reason, "transport close");
    assert.deepEqual(got.missed, ["while away", 2]);
    assert.equal(got.id, got.first.id);
    assert.equal(got.recovered, true);
    assert.deepEqual(got.who, { id: got.first.id, recovered: true });
  });
});

// The same scenario with this client (sio) and with npm socket.io-client's own browser build
// (real), in the same page against the same socket.io 4.8.4 server: what each saw, and what the
// server saw of each, must be the same.
const CLIENTS = ["sio", "real"];
const lib = (which) => `(${JSON.stringify(which)} === "sio" ? sio : real)`;

// Runs scenario, a page function (io, base, tag, arg) => result, once with each client (io is
// sio or real; tag is tagPrefix-sio / tagPrefix-real) and returns {sio, real}.
async function eachClient(p, tagPrefix, scenario, arg = null) {
  const got = {};
  for (const which of CLIENTS) {
    const args = [srv.base, `${tagPrefix}-${which}`, arg].map((v) => JSON.stringify(v)).join(", ");
    got[which] = await p.evaluate(`(${scenario})(${lib(which)}, ${args})`);
  }
  return got;
}

const closed = (tag) => waitFor(() => srv.engineLog.get(tag)?.some(([k]) => k === "close"));

describe("volatile emits while disconnected (as socket.io-client)", () => {
  // socket.io-client 4.8 drops a volatile emit only when its engine's transport is not writable.
  // A WebSocket transport that has closed still says it is, so until the next attempt replaces
  // the engine, a volatile emit made offline is buffered and sent on reconnect (lesson 12).
  test("over WebSocket, a volatile emit made right after the drop is buffered and sent on reconnect", T, async () => {
    const got = await eachClient(page, "vol", async (io, base, tag) => {
      const s = io.io(base, { forceNew: true, transports: ["websocket"], reconnectionDelay: 50, reconnectionDelayMax: 100, auth: { tag } });
      await new Promise((r) => s.once("connect", r));
      const down = new Promise((r) => s.once("disconnect", r));
      s.emit("kill");
      const reason = await down;
      s.volatile.emit("record", "volatile, offline");
      s.emit("record", "plain, offline");
      const buffered = s.sendBuffer.length;
      await new Promise((r) => s.once("connect", r));
      const records = await s.emitWithAck("records");
      s.disconnect();
      return { reason, buffered, records };
    });
    assert.deepEqual(got.real, { reason: "transport close", buffered: 2, records: ["volatile, offline", "plain, offline"] }, "socket.io-client");
    assert.deepEqual(got.sio, got.real);
  });
});

describe("HTTP long-polling and the upgrade to WebSocket", () => {
  test("default: handshake over polling, probe, upgrade, then messages over WebSocket (as socket.io-client)", T, async () => {
    const seen = await eachClient(page, "up", async (io, base, tag) => {
      const s = io.io(base, { forceNew: true, query: { tag } });
      const steps = [["created", s.io.engine.transport.name]];
      s.io.on("open", () => steps.push(["open", s.io.engine.transport.name]));
      s.io.engine.on("upgrading", (t) => steps.push(["upgrading", t.name]));
      s.io.engine.on("upgrade", (t) => steps.push(["upgrade", t.name, s.io.engine.transport.name]));
      await upgraded(s);
      const echo = await s.emitWithAck("echo", "after the upgrade");
      s.disconnect();
      return { steps, echo, transport: s.io.engine.transport.name };
    });
    for (const which of CLIENTS) {
      await closed("up-" + which);
      seen[which].server = srv.engineLog.get("up-" + which);
      seen[which].polls = srv.polls.get("up-" + which);
    }
    for (const which of CLIENTS) {
      const got = seen[which];
      assert.deepEqual(
        got.steps,
        [["created", "polling"], ["open", "polling"], ["upgrading", "websocket"], ["upgrade", "websocket", "websocket"]],
        which,
      );
      assert.equal(got.echo, "after the upgrade", which);
      assert.deepEqual(
        got.server,
        [
          ["open", "polling"],
          ["message", "polling", "0"],
          ["upgrade", "websocket"],
          ["message", "websocket", '20["echo","after the upgrade"]'],
          ["message", "websocket", "1"],
          ["close", "transport close"],
        ],
        which,
      );
      assert.ok(got.polls.GET >= 2 && got.polls.POST >= 1, `${which}: ${JSON.stringify(got.polls)}`);
    }
    assert.deepEqual(seen.sio.server, seen.real.server, "the server saw the same sequence from both clients");
  });

  test("transports: [\"polling\"]: events, acks both ways and binary both ways over polling only", T, async () => {
    const got = await eachClient(page, "poll", async (io, base, tag) => {
      const s = io.io(base, { forceNew: true, transports: ["polling"], query: { tag } });
      s.on("question", (n, ack) => ack(n + 1));
      const asked = await s.emitWithAck("ask", 41);
      const r = await s.emitWithAck("bin", binPayload());
      const seen = {};
      s.on("binq", (buf, obj, ack) => {
        seen.buf = [...new Uint8Array(buf)];
        seen.x = [...new Uint8Array(obj.x)];
        ack(new Uint8Array([...new Uint8Array(buf)].reverse()));
      });
      const binq = await s.emitWithAck("binq");
      const transport = s.io.engine.transport.name;
      s.disconnect();
      return {
        asked,
        bin: { ...r, back: [...new Uint8Array(r.back)], deep: [...new Uint8Array(r.deep.more[0])] },
        seen,
        binq,
        transport,
      };
    });
    for (const which of CLIENTS) {
      await closed("poll-" + which);
      const log = srv.engineLog.get("poll-" + which);
      assert.deepEqual([...new Set(log.filter(([k]) => k !== "close").map(([, t]) => t))], ["polling"], which);
      assert.ok(!log.some(([k]) => k === "upgrade"), which);
      assert.ok(log.some(([k, , d]) => k === "message" && Buffer.isBuffer(d)), `${which}: binary attachments arrive as binary`);
    }
    assert.deepEqual(got.sio, {
      asked: { answer: 42 },
      bin: { u8: [1, 2, 3], ab: [4, 5], nested: [6], blob: [11, 12], view: [13], isBuffer: true, back: [7, 8, 9], deep: [10] },
      seen: { buf: [1, 2, 3], x: [5] },
      binq: { reply: [3, 2, 1], isBuffer: true },
      transport: "polling",
    });
    assert.deepEqual(got.sio, got.real);
  });

  test("upgrade: false stays on polling although the server offers websocket", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, { path: "/hb/", upgrade: false, forceNew: true });
      const upgrading = count(s.io.engine, "upgrading");
      await next(s, "connect");
      for (let i = 0; i < 3; i++) await next(s.io, "ping"); // pings answered over polling
      return { transport: s.io.engine.transport.name, upgrading: upgrading.n, connected: s.connected };
    }, srv.base);
    assert.deepEqual(got, { transport: "polling", upgrading: 0, connected: true });
  });

  test("transports: [\"websocket\"] opens a WebSocket straight away: no polling request", T, async () => {
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, { transports: ["websocket"], forceNew: true, query: { tag: "ws-only" } });
      const first = s.io.engine.transport.name;
      const echo = await s.emitWithAck("echo", 1);
      s.disconnect();
      return { first, echo };
    }, srv.base);
    assert.deepEqual(got, { first: "websocket", echo: 1 });
    assert.equal(srv.polls.get("ws-only"), undefined);
    assert.deepEqual(srv.engineLog.get("ws-only")[0], ["open", "websocket"]);
  });

  test("rememberUpgrade: after a WebSocket worked, the next connection starts with it (as socket.io-client)", T, async () => {
    const got = {};
    for (const which of CLIENTS) {
      got[which] = await page.evaluate(async ([base, src]) => {
        const io = eval(src);
        const a = io.io(base, { forceNew: true, rememberUpgrade: true });
        await upgraded(a);
        const b = io.io(base, { forceNew: true, rememberUpgrade: true });
        const c = io.io(base, { forceNew: true });
        const firsts = [b.io.engine.transport.name, c.io.engine.transport.name];
        await Promise.all([next(b, "connect"), next(c, "connect")]);
        for (const s of [a, b, c]) s.disconnect();
        return firsts;
      }, [srv.base, lib(which)]);
    }
    assert.deepEqual(got.sio, ["websocket", "polling"]);
    assert.deepEqual(got.sio, got.real);
  });

  test("reconnect over polling: 'transport close', new session over polling, buffered emit flushed", T, async () => {
    const got = await page.evaluate(async (opts) => {
      const s = sio.io(opts.base, { ...opts.fast, forceNew: true, transports: ["polling"], auth: { tag: "rc-poll" } });
      await next(s, "connect");
      const first = { id: s.id, sid: s.io.engine.id };
      const disconnected = next(s, "disconnect");
      s.emit("kill");
      const [reason] = await disconnected;
      s.emit("record", "buffered");
      await next(s, "connect");
      const records = await s.emitWithAck("records");
      const out = { reason, records, newId: s.id !== first.id, newSession: s.io.engine.id !== first.sid, transport: s.io.engine.transport.name };
      s.disconnect();
      return out;
    }, { base: srv.base, fast: FAST });
    assert.deepEqual(got, { reason: "transport close", records: ["buffered"], newId: true, newSession: true, transport: "polling" });
  });

  test("disconnect() over polling: the server gets the DISCONNECT and the close; no request stays open", T, async () => {
    for (const which of CLIENTS) {
      const tag = "bye-poll-" + which;
      await page.evaluate(async ([base, tag, src]) => {
        const io = eval(src);
        const s = io.io(base, { forceNew: true, transports: ["polling"], query: { tag }, auth: { tag } });
        await next(s, "connect");
        s.disconnect();
      }, [srv.base, tag, lib(which)]);
      await waitFor(() => srv.reasons.get(tag) && srv.engineLog.get(tag)?.some(([k]) => k === "close"));
      assert.equal(srv.reasons.get(tag), "client namespace disconnect", which);
      assert.deepEqual(srv.engineLog.get(tag).at(-1), ["close", "transport close"], which);
      await waitFor(() => srv.polls.get(tag).open === 0);
    }
  });

  test("ping timeout over polling aborts the GET still waiting (nothing left in flight)", T, async () => {
    const before = { ...srv.fakePolls, posts: srv.fakePolls.posts.length };
    const got = await page.evaluate(async (base) => {
      const s = sio.io(base, { path: "/fakepoll/", transports: ["polling"], reconnection: false, forceNew: true });
      await next(s, "connect");
      const [reason] = await next(s, "disconnect");
      return { id: s.id ?? null, reason };
    }, srv.base);
    assert.deepEqual(got, { id: null, reason: "ping timeout" });
    await waitFor(() => srv.fakePolls.held === 0 && srv.fakePolls.aborted === before.aborted + 1);
    assert.deepEqual(srv.fakePolls.posts.slice(before.posts), ["40", "1"], "the CONNECT, then the close packet");
  });

  test("tryAllTransports: a refused WebSocket falls back to polling (as socket.io-client); without it, connect_error", T, async () => {
    const got = {};
    for (const which of CLIENTS) {
      got[which] = await page.evaluate(async ([base, src]) => {
        const io = eval(src);
        const out = {};
        for (const tryAllTransports of [true, false]) {
          const s = io.io(base, { path: "/pollonly/", transports: ["websocket", "polling"], tryAllTransports, forceNew: true, reconnection: false });
          const r = await new Promise((resolve) => {
            s.once("connect", () => s.emit("echo", "over polling", (e) => resolve(["connect", e, s.io.engine.transport.name])));
            s.once("connect_error", (err) => resolve(["connect_error", err.message]));
          });
          s.disconnect();
          out[tryAllTransports] = r;
        }
        return out;
      }, [srv.base, lib(which)]);
    }
    assert.deepEqual(got.sio, { true: ["connect", "over polling", "polling"], false: ["connect_error", "websocket error"] });
    assert.deepEqual(got.sio, got.real);
  });

  test("withCredentials: cross-origin polling requests carry the server's cookie only with it (as socket.io-client)", T, async () => {
    const other = await browser.newPage();
    try {
      await loadPage(other, srv.otherBase);
      for (const which of CLIENTS) {
        for (const withCredentials of [false, true]) {
          const tag = `cookie-${which}-${withCredentials}`;
          await other.evaluate(async ([base, src, tag, withCredentials]) => {
            const io = eval(src);
            const s = io.io(base, { path: "/cookie/", withCredentials, forceNew: true, reconnection: false, query: { tag } });
            await next(s, "connect");
            s.disconnect();
          }, [srv.base, lib(which), tag, withCredentials]);
          const seen = srv.cookies.get(tag);
          assert.ok(seen.length >= 2, `${tag}: ${seen}`);
          assert.deepEqual([...new Set(seen)], [withCredentials], `${tag}: requests after the handshake carried the cookie: ${seen}`);
        }
      }
    } finally {
      await other.close();
    }
  });

  test("an Origin the server refuses: the polling handshake fails with 'xhr poll error' (as socket.io-client)", T, async () => {
    const other = await browser.newPage();
    try {
      await loadPage(other, srv.otherBase);
      const got = {};
      for (const which of CLIENTS) {
        got[which] = await other.evaluate(async ([base, src]) => {
          const io = eval(src);
          const s = io.io(base, { path: "/strict/", forceNew: true, reconnection: false, query: { tag: "strict" } });
          const [err] = await next(s, "connect_error");
          return { message: err.message, type: err.type, description: err.description, connected: s.connected };
        }, [srv.base, lib(which)]);
      }
      assert.deepEqual(got.sio, { message: "xhr poll error", type: "TransportError", description: 0, connected: false });
      assert.deepEqual(got.sio, got.real);
      assert.equal(srv.engineConns.get("strict"), undefined, "no session was opened");
    } finally {
      await other.close();
    }
  });
});

/** Polls a server-side condition (set by a socket.io callback) until true; bounded. */
async function waitFor(cond, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setImmediate(r));
  }
}
