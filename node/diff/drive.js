// The client side of the differential test: real npm socket.io-client 4.8 clients driven through
// the scenario that goes with a server program, printing ONE JSON document of what they observed.
//
//   node node/diff/drive.js http://127.0.0.1:PORT node/diff/programs/NN-name.js
//
// The scenario is programs/NN-name.scenario.js: `export default async function (ctx) {...}` and
// optionally `export const consoleLines = N` (the server's first N console lines are part of the
// observations; the Go test reads them from the server's stdout).
//
// Observations, per client label, in the order that client saw them:
//   ["event", ...args]                 an event the server emitted to it (onAny)
//   ["#connect"]                       connected
//   ["#connect_error", message, data]  refused (err.message, err.data or null)
//   ["#disconnect", reason]            disconnected (the client-side reason)
//   ["#ack", event, ...values]         the server acknowledged our emit of `event`
//   ["#ack-timeout", event]            the server did not acknowledge it within WAIT_MS
// Socket ids are replaced by "<id:LABEL>" (every client's id is known once it connects), binary by
// {"$bin": "hex"}, an ack callback the server attached by "$ackfn", undefined by {"$undefined": 1}.
// Nothing here sleeps: every step waits for an explicit condition, bounded by WAIT_MS, and the
// whole scenario by TOTAL_MS; a failed wait ends the scenario and is reported in "error".
import path from "node:path";
import { pathToFileURL } from "node:url";
import { io as ioc } from "socket.io-client";

export const WAIT_MS = 5000;
const TOTAL_MS = 30000;

const [base, program] = process.argv.slice(2);
if (!base || !program || !/^https?:\/\//.test(base) || !program.endsWith(".js")) {
  console.error("usage: node drive.js http://127.0.0.1:PORT PROGRAM.js");
  process.exit(2);
}
const scenarioFile = path.resolve(program.replace(/\.js$/, ".scenario.js"));
const scenario = await import(pathToFileURL(scenarioFile).href);

const logs = {}; // label -> observations
const ids = new Map(); // socket id -> label
const clients = [];
const wakers = new Set();

function observe(label, entry) {
  logs[label].push(entry);
  for (const wake of wakers) wake();
}

// until resolves once cond() holds, or rejects after WAIT_MS with what() as the message.
function until(cond, what) {
  if (cond()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const wake = () => {
      if (cond()) {
        wakers.delete(wake);
        clearTimeout(timer);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      wakers.delete(wake);
      reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what()}`));
    }, WAIT_MS);
    wakers.add(wake);
  });
}

class Client {
  constructor(label, socket) {
    this.label = label;
    this.socket = socket;
  }
  get log() {
    return logs[this.label];
  }
  get id() {
    return this.socket.id;
  }
  // count of observations of this kind ("chat", "#ack", "#disconnect", ...).
  count(kind) {
    return this.log.filter((e) => e[0] === kind).length;
  }
  // waitFor(kind, n): until this client has observed at least n observations of that kind.
  waitFor(kind, n = 1) {
    return until(
      () => this.count(kind) >= n,
      () => `${this.label}: ${n}× ${kind} (has ${this.count(kind)}; log ${JSON.stringify(plain(this.log))})`,
    );
  }
  emit(event, ...args) {
    this.socket.emit(event, ...args);
  }
  // ask emits with an ack callback and resolves with the ack's values once it arrives (observed as
  // "#ack"), or with null after WAIT_MS (observed as "#ack-timeout").
  ask(event, ...args) {
    return new Promise((resolve) => {
      this.socket.timeout(WAIT_MS).emit(event, ...args, (err, ...values) => {
        if (err) {
          observe(this.label, ["#ack-timeout", event]);
          resolve(null);
        } else {
          observe(this.label, ["#ack", event, ...values]);
          resolve(values);
        }
      });
    });
  }
  // answer(event, fn): when the server emits `event` with an ack, answer with fn(...args) (awaited).
  answer(event, fn) {
    this.socket.on(event, async (...args) => {
      const ack = typeof args.at(-1) === "function" ? args.pop() : null;
      const value = await fn(...args);
      if (ack) ack(value);
    });
  }
  disconnect() {
    this.socket.disconnect();
  }
  // closeTransport drops the connection without a Socket.IO disconnect packet (the server sees
  // "transport close").
  closeTransport() {
    this.socket.io.engine.close();
  }
}

// open creates a client without waiting; connect waits until it is connected or refused.
// opts: nsp ("/"), user (auth name, default the label), token ("secret"; null for none),
// auth (replaces {name, token}), query, transports (["websocket"]; ["polling"] for long-polling),
// answers ({event: fn}: answer these from the very first packet, e.g. ones sent on connection).
function open(label, opts = {}) {
  if (logs[label]) throw new Error(`client label ${label} used twice`);
  const { nsp = "/", user = label, token = "secret", transports = ["websocket"], answers = {}, ...rest } = opts;
  const auth = opts.auth ?? (token === null ? { name: user } : { name: user, token });
  delete rest.auth;
  logs[label] = [];
  const socket = ioc(base + nsp, { forceNew: true, reconnection: false, transports, ...rest, auth });
  clients.push(socket);
  socket.on("connect", () => {
    ids.set(socket.id, label);
    observe(label, ["#connect"]);
  });
  socket.on("connect_error", (err) => observe(label, ["#connect_error", err.message, err.data ?? null]));
  socket.on("disconnect", (reason) => observe(label, ["#disconnect", reason]));
  socket.onAny((event, ...args) => observe(label, [event, ...args]));
  const client = new Client(label, socket);
  for (const [event, fn] of Object.entries(answers)) client.answer(event, fn);
  return client;
}

async function connect(label, opts) {
  const c = open(label, opts);
  await until(
    () => c.count("#connect") + c.count("#connect_error") > 0,
    () => `${label} to connect or be refused`,
  );
  return c;
}

// plain turns observations into JSON-able values without anything random in them.
function plain(v) {
  if (typeof v === "string") {
    for (const [id, label] of ids) v = v.replaceAll(id, `<id:${label}>`);
    return v;
  }
  if (typeof v === "function") return "$ackfn";
  if (v === undefined) return { $undefined: 1 };
  if (v instanceof ArrayBuffer) return { $bin: Buffer.from(v).toString("hex") };
  if (ArrayBuffer.isView(v)) return { $bin: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex") };
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Error) return { $error: plain(v.message) };
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [plain(k), plain(x)]));
  }
  return v;
}

function finish(error) {
  const doc = {
    program: path.basename(program),
    consoleLines: scenario.consoleLines ?? 0,
    clients: plain(logs),
  };
  if (error) doc.error = plain(String(error.message ?? error));
  process.stdout.write(JSON.stringify(doc) + "\n", () => {
    for (const c of clients) c.disconnect();
    process.exit(0);
  });
}

const total = setTimeout(() => finish(new Error(`scenario did not finish in ${TOTAL_MS} ms`)), TOTAL_MS);
try {
  await scenario.default({ open, connect, until });
  clearTimeout(total);
  finish();
} catch (err) {
  clearTimeout(total);
  finish(err);
}
