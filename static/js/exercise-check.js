/**
 * exercise-check.js: grades a student's Socket.IO server against an exercise's checks.
 * A plain ES module with no imports, so it runs in the browser (with our sio.js) and in Node
 * (with the npm socket.io-client): the caller passes the client factory `io`.
 *
 *   import { runChecks } from "./exercise-check.js";
 *   const results = await runChecks({ io, url: "", path: "/play/ab12/socket.io/", clients, checks });
 *   // results: [{ name, passed, explanation, lines: [{ ok, text }] }]
 *
 * Each check runs with fresh connections (forceNew, no reconnection, WebSocket only): the
 * clients connect first (except one whose first step is `connect`), the steps run in order,
 * then what every client received is compared with `expect`. The server is the same for all
 * checks, so checks should not depend on each other's state. Every wait is bounded (timeouts).
 *
 * Steps:   {client, emit, args?, ack?}      emit; with `ack`, wait for the server's answer
 *          {client, connect: true, auth?, namespace?}
 *          {client, disconnect: true}
 *          {client, answers: EVENT, with: [...]}  answer the server's EVENT acks with these
 *          {client, waits_for: EVENT, args?}  wait (at most timeouts.max) until it has arrived
 *          {wait: MS}
 * Expect:  {client, receives: EVENT, args?, times?} | {client, receives: nothing}
 *          {client, misses: EVENT, args?}
 *          {client, connect_error: MESSAGE, data?} | {client, connected: true}
 */

export const defaultTimeouts = Object.freeze({
  connect: 3000, // a connection's outcome: connect or connect_error
  ack: 2000, // the server's answer to an emit with `ack`
  step: 60, // between steps, so the server handles one before the next arrives
  settle: 300, // after the last step, before judging (what must not arrive has time to)
  max: 2500, // after the last step, at most this long for what must arrive
});

/** Runs every check in order; never throws for a failing server (that is a failed check). */
export async function runChecks({ io, url = "", path = "/socket.io/", clients, checks, timeouts = {} }) {
  const t = { ...defaultTimeouts, ...timeouts };
  const results = [];
  for (const check of checks) {
    results.push(await runCheck({ io, url, path, clients, check, t }));
  }
  return results;
}

async function runCheck({ io, url, path, clients, check, t }) {
  const world = new Map();
  for (const c of clients) {
    world.set(c.name, {
      conf: c,
      socket: null,
      received: [], // {event, args}
      outcome: null, // the last connection's {connected} | {error: {message, data}} | {timeout}
      answers: new Map(),
    });
  }
  const acks = []; // what the steps themselves found: acks, waits_for ({ok, text})
  const lines = [];
  try {
    const later = new Set();
    for (const s of check.steps) {
      if (s.client === undefined || later.has(s.client)) continue;
      later.add(s.client);
      if (!s.connect) world.get(s.client).startsConnected = true;
    }
    await Promise.all(
      [...world.values()]
        .filter((w) => w.startsConnected || !later.has(w.conf.name))
        .map((w) => connect(io, url, path, w, {}, t)),
    );
    for (const s of check.steps) {
      if (s.wait !== undefined) {
        await sleep(s.wait);
        continue;
      }
      const w = world.get(s.client);
      if (s.emit !== undefined) {
        await emitStep(w, s, acks, t);
      } else if (s.connect) {
        await connect(io, url, path, w, s, t);
      } else if (s.disconnect) {
        w.socket?.disconnect();
      } else if (s.answers !== undefined) {
        w.answers.set(s.answers, s.with ?? []);
      } else if (s.waits_for !== undefined) {
        const e = { receives: s.waits_for, args: s.args };
        const start = Date.now();
        while (!w.received.some((r) => matches(e, r, s.waits_for)) && Date.now() - start < t.max) await sleep(20);
        if (!w.received.some((r) => matches(e, r, s.waits_for))) {
          acks.push({ ok: false, text: `${w.conf.name} waited ${seconds(t.max)} for ${describe(s.waits_for, s.args)}; it never came` });
        }
      }
      await sleep(t.step);
    }
    await sleep(t.settle);
    const start = Date.now();
    while (!positivesMet(check.expect, world) && Date.now() - start < t.max - t.settle) {
      await sleep(50);
    }
    for (const e of check.expect) lines.push(judge(e, world.get(e.client), t));
    for (const a of acks) lines.push({ ok: a.ok, text: a.text });
  } catch (err) {
    lines.push({ ok: false, text: `The check could not run: ${err?.message ?? err}` });
  } finally {
    for (const w of world.values()) w.socket?.disconnect();
  }
  const failed = lines.filter((l) => !l.ok);
  return {
    name: check.name,
    passed: failed.length === 0,
    explanation: failed.length === 0 ? "Passed: " + lines.map((l) => l.text).join("; ") : failed.map((l) => l.text).join("; "),
    lines,
  };
}

/** Opens a fresh connection for w; resolves with its outcome, never rejects. */
function connect(io, url, path, w, step, t) {
  w.socket?.disconnect();
  const ns = step.namespace ?? w.conf.namespace ?? "/";
  const auth = step.auth ?? w.conf.auth;
  const opts = { path, forceNew: true, reconnection: false, transports: ["websocket"], timeout: t.connect };
  if (auth !== undefined) opts.auth = auth;
  if (w.conf.server) opts.query = { server: w.conf.server }; // the cluster demo: which server
  const socket = io(url + ns, opts);
  w.socket = socket;
  socket.onAny((event, ...args) => {
    if (socket !== w.socket) return;
    let ack;
    if (typeof args[args.length - 1] === "function") ack = args.pop();
    w.received.push({ event, args });
    if (ack && w.answers.has(event)) ack(...w.answers.get(event));
  });
  return new Promise((resolve) => {
    const done = (outcome) => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
      if (socket === w.socket) w.outcome = outcome;
      resolve(outcome);
    };
    const onConnect = () => done({ connected: true });
    const onError = (err) => done({ error: { message: err?.message, data: err?.data } });
    const timer = setTimeout(() => done({ timeout: true }), t.connect);
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

async function emitStep(w, s, acks, t) {
  const args = s.args ?? [];
  const what = `${w.conf.name}'s ${describe(s.emit, args)}`;
  if (!w.socket) {
    if (s.ack !== undefined) acks.push({ ok: false, text: `${what} was never sent: ${w.conf.name} was not connected` });
    return;
  }
  if (s.ack === undefined) {
    w.socket.emit(s.emit, ...args);
    return;
  }
  const reply = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), t.ack);
    w.socket.emit(s.emit, ...args, (...r) => {
      clearTimeout(timer);
      resolve(r);
    });
  });
  if (reply === null) {
    acks.push({ ok: false, text: `${what} got no answer within ${seconds(t.ack)}; expected ${values(s.ack)}` });
  } else if (!deepEqual(reply, s.ack)) {
    acks.push({ ok: false, text: `${what} was answered with ${values(reply)}; expected ${values(s.ack)}` });
  } else {
    acks.push({ ok: true, text: `${what} was answered with ${values(reply)}` });
  }
}

function matches(e, r, event) {
  return r.event === event && (e.args === undefined || deepEqual(r.args, e.args));
}

// Whether every "must arrive" expectation is already met (the wait can end early).
function positivesMet(expect, world) {
  return expect.every((e) => {
    const w = world.get(e.client);
    if (e.receives !== undefined && e.receives !== "nothing") {
      const n = w.received.filter((r) => matches(e, r, e.receives)).length;
      return e.times === undefined ? n >= 1 : n >= e.times;
    }
    if (e.connect_error !== undefined) return w.outcome?.error !== undefined;
    if (e.connected) return w.outcome?.connected === true;
    return true;
  });
}

/** One expectation, judged: {ok, text} in plain words. */
function judge(e, w, t) {
  const who = w.conf.name;
  const got = w.received;
  // "received nothing" and "did not receive" say something only about a client that connected.
  const absent = (e.receives === "nothing" || e.misses !== undefined) && w.outcome && !w.outcome.connected;
  if (absent) return { ok: false, text: `${who} could not receive anything${notConnected(w, t)}` };
  if (e.receives === "nothing") {
    if (got.length === 0) return { ok: true, text: `${who} received nothing` };
    return { ok: false, text: `${who} also received ${list(got)}` };
  }
  if (e.receives !== undefined) {
    const want = describe(e.receives, e.args);
    const n = got.filter((r) => matches(e, r, e.receives)).length;
    if (e.times !== undefined && n > 0 && n !== e.times) {
      return { ok: false, text: `${who} received ${want} ${times(n)}; expected ${times(e.times)}` };
    }
    if (n > 0) return { ok: true, text: `${who} received ${want}${e.times !== undefined ? " " + times(n) : ""}` };
    const why = notConnected(w, t);
    if (got.length === 0) return { ok: false, text: `${who} received nothing${why}; expected ${want}` };
    return { ok: false, text: `${who} did not receive ${want}${why}; ${who} received ${list(got)}` };
  }
  if (e.misses !== undefined) {
    const bad = got.filter((r) => matches(e, r, e.misses));
    if (bad.length === 0) return { ok: true, text: `${who} did not receive ${describe(e.misses, e.args)}` };
    return { ok: false, text: `${who} also received ${list(bad)}` };
  }
  const o = w.outcome;
  if (e.connect_error !== undefined) {
    const want = `connect_error ${value(e.connect_error)}`;
    if (!o) return { ok: false, text: `${who} never tried to connect; expected ${want}` };
    if (o.timeout) return { ok: false, text: `${who} neither connected nor was refused within ${seconds(t.connect)}; expected ${want}` };
    if (o.connected) return { ok: false, text: `${who} connected; expected to be refused with ${want}` };
    if (o.error.message !== e.connect_error) {
      return { ok: false, text: `${who} was refused with connect_error ${value(o.error.message)}; expected ${value(e.connect_error)}` };
    }
    if (e.data !== undefined && !deepEqual(o.error.data, e.data)) {
      return { ok: false, text: `${who}'s ${want} came with data ${value(o.error.data)}; expected ${value(e.data)}` };
    }
    return { ok: true, text: `${who} was refused with ${want}${e.data !== undefined ? " and data " + value(e.data) : ""}` };
  }
  if (e.connected) {
    if (o?.connected) return { ok: true, text: `${who} connected` };
    const why = !o
      ? "never tried to connect"
      : o.timeout
        ? `did not connect within ${seconds(t.connect)}`
        : `was refused with connect_error ${value(o.error.message)}`;
    return { ok: false, text: `${who} ${why}; expected ${who} to connect` };
  }
  return { ok: false, text: `unknown expectation ${JSON.stringify(e)}` };
}

function notConnected(w, t) {
  const o = w.outcome;
  if (!o || o.connected) return "";
  if (o.timeout) return ` (it never connected within ${seconds(t.connect)})`;
  return ` (it was refused with connect_error ${value(o.error.message)})`;
}

// ---- plain words

/** `chat "hi"`, `join "room-1", 2`; without args (undefined) just the event name. */
export function describe(event, args) {
  if (args === undefined || args.length === 0) return event;
  return `${event} ${values(args)}`;
}

function values(args) {
  return args.map(value).join(", ");
}

export function value(v) {
  if (v === undefined) return "undefined";
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return `<${v.byteLength} bytes>`;
  try {
    const s = JSON.stringify(v);
    return s.length > 120 ? s.slice(0, 117) + "..." : s;
  } catch {
    return String(v);
  }
}

function list(received) {
  const shown = received.slice(0, 3).map((r) => describe(r.event, r.args));
  if (received.length > 3) shown.push(`${received.length - 3} more`);
  return shown.length > 1 ? shown.slice(0, -1).join(", ") + " and " + shown.at(-1) : shown[0];
}

function times(n) {
  return n === 1 ? "once" : n === 2 ? "twice" : `${n} times`;
}

function seconds(ms) {
  return `${ms / 1000} s`;
}

export function deepEqual(a, b) {
  if (a === b) return true;
  if (a instanceof ArrayBuffer || ArrayBuffer.isView(a)) {
    if (!(b instanceof ArrayBuffer || ArrayBuffer.isView(b))) return false;
    const x = new Uint8Array(a.buffer ?? a, a.byteOffset ?? 0, a.byteLength);
    const y = new Uint8Array(b.buffer ?? b, b.byteOffset ?? 0, b.byteLength);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
