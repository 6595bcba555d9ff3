/**
 * demos.js: hydrates every live demo of a page (<section class="demo" data-demo=NAME data-config=JSON>).
 *
 * Each widget gets its own hub instance (POST /play/NAME, docs/play-api.md), opens one REAL
 * Socket.IO connection per virtual client with our sio.js client, and subscribes to the
 * instance's tap (Server-Sent Events). For every message it shows who got it: a column lights up
 * when that client's socket really received the event (its onAny handler), and the hub's tap
 * (event_out recipients) is used to cross-check and to mark the sender and the excluded.
 *
 * No framework, no innerHTML: the DOM is built with createElement/textContent (demo-dom.js).
 * The playground page's extras (shareable link, bring your own client) live in demo-playground.js.
 *
 * For tests and the curious: window.socketlabDemos is the list of widgets on the page.
 */
import { io } from "./sio.js";
import { h, setChildren, select, fillSelect, field, stable, short, clock, reducedMotion, ICON, MAX_RECEIVED } from "./demo-dom.js";
import { kinds } from "./kinds/index.js";
import { CodePanel, wireExercises } from "./demo-code.js";
import { OutcomePanel } from "./demo-outcome.js";

const MAX_LOG_ROWS = 500; // the event log keeps the last rows only (bounded DOM)
const MAX_CONSOLE_LINES = 200;
// The demos whose clients connect like socket.io-client by default: HTTP long-polling first, then
// the upgrade to WebSocket (lesson 03 shows it in the server's log). The others open WebSockets
// straight away (transports: ["websocket"]): a browser opens at most six HTTP/1.1 connections to
// one server, and a page of three demos (a dozen clients polling at once, besides the taps' event
// streams) ran out of them, stalling the page's own requests for seconds.
// Only the first such demo of a page polls: two (lesson 1's, lesson 3's) still held enough
// long-polls and event streams to stall the page's next navigation on a loaded machine.
const POLLING_DEMOS = new Set(["console"]);
let pollingWidgets = 0;
const MAX_MESSAGES = 300; // kept for matching receipts with the tap
const SETTLE_MS = 1500; // how long to wait for a receipt the tap announced
const NO_TAP_MS = 2000; // a message the tap never reported settles anyway
// When the server goes away (a restart of socketlab serve): the tap alone probes it, every
// EventSource retry (a few seconds); the clients wait. After TAP_RETRIES failed retries the widget
// stops and offers "Try again". A demo whose instance is gone (404) starts a fresh one, retrying
// RESTART_DELAYS.length times with these delays.
const TAP_RETRIES = 40;
const RESTART_DELAYS = [0, 1000, 2000, 4000, 8000, 16000];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The event log's columns: who received a message comes right after what it was, so a narrow
// screen shows it without scrolling (on phones each row is a card: demos.css).
const LOG_COLUMNS = ["Time", "What", "Recipients", "Sender", "Scope / call", "Room", "Namespace", "Ack"];

const SCOPES = [
  ["self", "socket.emit", "Only the sender"],
  ["all", "io.emit", "Everyone in the namespace"],
  ["broadcast", "socket.broadcast.emit", "Everyone but the sender"],
  ["room", "io.to(room).emit", "Everyone in a room"],
  ["socket-room", "socket.to(room).emit", "A room, but not the sender"],
  ["except", "io.except(room).emit", "Everyone but a room"],
];

let widgetSeq = 0;
export const widgets = [];

function q(s) {
  return JSON.stringify(String(s));
}

function argText(args) {
  return args.map((a) => short(a, 40)).join(", ");
}

// A payload whose JSON is longer than this (in characters) may reach the page only as a preview
// (the hub's tap keeps the first socketio.TapPreviewBytes = 2 KiB of larger ones).
const BIG_ARGS = 500;

/** "850 bytes", "2.0 KiB", "1.2 MiB" (playground/tapbounds.go sizeText). */
function sizeText(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Resolves once socket has connected or been refused (its next "connect" or "connect_error"). */
function settled(socket) {
  return new Promise((resolve) => {
    const done = () => {
      socket.off("connect", done);
      socket.off("connect_error", done);
      resolve();
    };
    socket.on("connect", done);
    socket.on("connect_error", done);
  });
}

/**
 * What a message row shows of its arguments. A payload the tap cut says so: its size and how much
 * of it reached the page, then the start of that preview. A large payload a client received whole
 * says its size before the start of each argument.
 */
function payloadText(m) {
  if (m.preview != null && !m.whole) {
    const shown = new TextEncoder().encode(m.preview).length;
    return `payload ${sizeText(m.bytes)}, first ${sizeText(shown)} shown: ${short(m.preview, 40)}`;
  }
  const text = argText(m.args);
  const json = stable(m.args);
  return json.length > BIG_ARGS ? `payload ${sizeText(new TextEncoder().encode(json).length)}: ${text}` : text;
}

function parseJSONish(text) {
  const s = text.trim();
  if (s === "") return [];
  try {
    return [JSON.parse(s)];
  } catch {
    return [s]; // not JSON: send it as a string
  }
}

function names(list) {
  return list.length ? list.join(", ") : "nobody";
}

// ---------------------------------------------------------------------------------------------
// One virtual client: a real connection (one Manager), possibly several namespaces on it
// ---------------------------------------------------------------------------------------------

class VClient {
  constructor(widget, cfg) {
    this.w = widget;
    this.name = cfg.name;
    this.namespace = cfg.namespace || "/";
    this.auth = cfg.auth && typeof cfg.auth === "object" ? { ...cfg.auth } : {};
    this.initialRooms = cfg.rooms ?? [];
    this.server = cfg.server || ""; // cluster demo: the server it connects to (?server=)
    this.sockets = []; // [{nsp, socket}], the first one is the client's own namespace
    this.received = []; // newest first: {icon, text}
    this.answerMode = "fast"; // acks demo: fast | slow | never
    this.note = ""; // last connect_error or control result
    this.role = null; // role in the current message
    this.el = null;
  }

  get socket() {
    return this.sockets[0]?.socket;
  }

  /** The io() auth option: the CONNECT payload, or what the kind makes of it (a function). */
  authOption() {
    return this.w.kindDef.auth?.(this.w, this) ?? { ...this.auth, name: this.name };
  }

  get connected() {
    return !!this.socket?.connected;
  }

  sids() {
    return this.sockets.map((s) => s.socket.id).filter(Boolean);
  }

  open() {
    const socket = io(this.namespace, {
      path: this.w.instance.path,
      auth: this.authOption(),
      ...(this.server ? { query: { server: this.server } } : {}),
      transports: this.w.polls ? undefined : ["websocket"],
      forceNew: true,
      reconnectionDelay: 250,
      reconnectionDelayMax: 2000,
      ...this.w.kindDef.clientOptions, // the reconnection demo keeps socket.io-client's own backoff
    });
    this.sockets = [{ nsp: this.namespace, socket }];
    this.wire(socket, this.namespace);
    this.watchTransport(socket.io);
    return settled(socket);
  }

  /**
   * Follows the connection's transport like socket.io-client reports it: the handshake's
   * (socket.io.engine.transport.name, "polling" by default) and then the engine's "upgrade".
   */
  watchTransport(manager) {
    manager.on("open", () => {
      const engine = manager.engine;
      this.transport = engine.transport.name;
      engine.on("upgrade", (t) => {
        if (manager.engine !== engine) return;
        this.transport += " → " + t.name;
        this.w.renderClient(this);
      });
      this.w.renderClient(this);
    });
  }

  /** Opens another namespace on the same Engine.IO connection (multiplexing). */
  openAlso(nsp) {
    if (this.sockets.some((s) => s.nsp === nsp)) return;
    const socket = this.socket.io.socket(nsp, { auth: { ...this.auth, name: this.name } });
    this.sockets.push({ nsp, socket });
    this.wire(socket, nsp);
    if (!socket.active) socket.connect();
    this.w.renderClient(this);
    this.w.refreshSenders();
  }

  wire(socket, nsp) {
    socket.on("connect", () => {
      if (this.netLost && nsp === this.namespace) {
        // After a dropped network: did the server restore the session (connection state recovery)?
        const same = socket.id === this.netLost.id;
        this.note = socket.recovered
          ? `${ICON.recovered} recovered: same socket id ${socket.id}${same ? "" : " (?)"}; the events it missed (those sent without an ack) are replayed`
          : `new socket id ${socket.id}: not recovered (the server had no session to restore)`;
        this.noteState = socket.recovered ? "recovered" : "error";
        this.netLost = null;
      } else {
        this.note = "";
      }
      this.w.index();
      this.w.renderClient(this);
      this.w.refreshSenders();
      if (nsp === this.namespace && this.initialRooms.length && !this.joinedInitial) {
        this.joinedInitial = true;
        for (const r of this.initialRooms) {
          this.join(r).catch((err) => {
            this.note = `could not join ${r}: ${err?.message ?? err}`;
            this.w.renderClient(this);
          });
        }
      }
    });
    socket.on("disconnect", (reason) => {
      if (this.suspended && socket.active) {
        // The server is unreachable (suspend): this socket waits for it too, instead of retrying.
        this.suspended.push(socket);
        socket.disconnect();
      }
      this.note = "disconnected: " + reason;
      this.w.index();
      this.w.renderClient(this);
    });
    socket.on("connect_error", (err) => {
      this.note = "connect_error: " + (err?.message ?? String(err));
      this.w.renderClient(this);
    });
    socket.onAny((event, ...args) => {
      const data = args.filter((a) => typeof a !== "function");
      this.w.onReceipt(this, socket, nsp, event, data);
    });
    this.w.kindDef.wire?.(this.w, this, socket, nsp); // the kind's own events (questions, deliveries)
  }

  join(room) {
    return this.ack("join", room);
  }

  leave(room) {
    return this.ack("leave", room);
  }

  /** Emits ev with args and waits for the server's ack (rejects after 5 s). */
  ack(ev, ...args) {
    return this.ackWithin(5000, ev, ...args);
  }

  /** Emits ev with args and waits at most ms for the server's ack. */
  ackWithin(ms, ev, ...args) {
    const s = this.socket;
    return new Promise((resolve, reject) => {
      if (!s) return reject(new Error("no socket"));
      s.timeout(ms).emit(ev, ...args, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  disconnect() {
    for (const { socket } of this.sockets) socket.disconnect();
    this.note = "disconnected by you";
    this.w.index();
    this.w.renderClient(this);
  }

  reconnect() {
    for (const { socket } of this.sockets) socket.connect();
  }

  /**
   * Like a dropped Wi-Fi: the WebSocket closes without a DISCONNECT packet, so the server sees
   * "transport close" and keeps the session for recovery. Reconnection waits for networkBack().
   */
  loseNetwork() {
    const mgr = this.socket?.io;
    if (!mgr?.engine || !this.connected) return;
    this.netLost = { id: this.socket.id };
    mgr.reconnection(false);
    mgr.engine.close();
    this.note = "network lost: the connection dropped without saying goodbye (no DISCONNECT packet)";
    this.w.index();
    this.w.renderClient(this);
  }

  networkBack() {
    const mgr = this.socket?.io;
    if (!mgr) return;
    mgr.reconnection(true);
    this.note = "network back: reconnecting…";
    this.w.renderClient(this);
    for (const { socket } of this.sockets) socket.connect();
  }

  /** The server is unreachable: stop reconnecting (the widget's tap probes it alone). */
  suspend() {
    if (this.suspended) return;
    this.suspended = this.sockets.filter(({ socket }) => socket.active && !socket.connected).map(({ socket }) => socket);
    for (const socket of this.suspended) socket.disconnect();
  }

  /** The same server is back (a network blip): reconnect what suspend() stopped. */
  resume() {
    const socks = this.suspended ?? [];
    this.suspended = null;
    for (const socket of socks) socket.connect();
  }

  /**
   * Moves the client to the widget's new server (its instance was gone): the old sockets close,
   * the same namespaces open again on the new path, and the setup's rooms are joined again.
   */
  reopen() {
    const nsps = this.sockets.map((s) => s.nsp);
    for (const { socket } of this.sockets) socket.disconnect();
    this.suspended = null;
    this.netLost = null;
    this.joinedInitial = false;
    const opened = this.open();
    for (const nsp of nsps.slice(1)) this.openAlso(nsp);
    this.note = "reconnected to the restarted server";
    return opened;
  }

  rename(name) {
    this.name = name;
    for (const { socket } of this.sockets) {
      socket.auth = this.authOption();
      socket.disconnect();
      socket.connect();
    }
  }

  close() {
    for (const { socket } of this.sockets) socket.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// The widget
// ---------------------------------------------------------------------------------------------

export class DemoWidget {
  constructor(section) {
    this.section = section;
    this.kind = section.dataset.demo;
    this.polls = POLLING_DEMOS.has(this.kind) && pollingWidgets++ === 0; // the page's first console demo
    this.uid = "sl-demo" + ++widgetSeq;
    this.playground = section.hasAttribute("data-playground");
    this.clients = [];
    this.bySid = new Map(); // sid → {client, nsp} for our own sockets
    this.state = { namespaces: [] };
    this.stateSockets = new Map(); // sid → {id, name, nsp, rooms}
    this.messages = [];
    this.pending = []; // sends waiting for their tap event
    this.current = null;
    this.settledCount = 0;
    this.paused = false;
    this.heldRows = [];
    this.rowQueue = [];
    this.consoleQueue = [];
    this.frame = 0;
    this.dirty = new Set();
    this.scriptIndex = 0;
    this.observing = null; // what a predict-the-outcome run saw so far (demo-outcome.js)
    this.kindDef = kinds[this.kind] ?? { name: this.kind }; // the kind's panel: kinds/NAME.js
    this.kindState = this.kindDef.init?.(this);
    this.closed = false;
    this.required = new Set(); // controls shown whatever the lesson declared (needControl)
    this.ready = new Promise((resolve) => (this.markReady = resolve)); // settles when start() ends
  }

  config() {
    let cfg = {};
    try {
      cfg = JSON.parse(this.section.dataset.config || "{}") ?? {};
    } catch {
      cfg = {};
    }
    return cfg;
  }

  async start(configOverride) {
    const stage = this.section.querySelector("[data-demo-stage]") ?? this.section;
    this.stage = stage;
    this.statusEl = h("p", { class: "demo-status", role: "status", "data-testid": "demo-status" }, "Starting a server for this demo…");
    setChildren(stage, this.statusEl);
    const cfg = configOverride ?? this.config();
    // The lesson's controls (docs/authoring.md): only those show, "All controls" brings the rest.
    // Read from the config as written: the server's echo drops an empty list. The playground always
    // has the full toolbox.
    this.declared = Array.isArray(cfg.controls) && !this.playground ? new Set(cfg.controls) : null;
    // `socketlab run` hands the page its one hub (data-instance): attach to it, start none.
    let body = this.section.dataset.instance ? JSON.parse(this.section.dataset.instance) : null;
    if (!body) {
      const made = await this.createInstance(cfg);
      if (made.error) return this.fail(made.error);
      body = made.body;
      this.startConfig = cfg; // what a restart of the server posts again (recoverServer)
    }
    performance.mark("socketlab:demo-created", { detail: { demo: this.kind } });
    this.instance = body;
    this.cfg = body.config ?? cfg;
    if (!Array.isArray(this.cfg.clients) || this.cfg.clients.length === 0) {
      this.cfg.clients = ["A", "B", "C"].map((name) => ({ name }));
    }
    this.cfg.clients = this.cfg.clients.map((c) => (typeof c === "string" ? { name: c } : c));
    // The connections first, the DOM while they are being opened (the handshakes overlap the
    // layout work), and the tap last: an event stream opened before the WebSockets delayed the
    // first handshake by tens of ms in Chromium. The tap replays what happened before it opened
    // (the clients' connects, "a user connected"), after the current state.
    this.clients = [];
    for (const cfg of this.cfg.clients) this.clients.push(this.clientDefaults(new VClient(this, cfg)));
    const opened = Promise.all(this.clients.map((c) => c.open()));
    this.build();
    for (const c of this.clients) this.addColumn(c);
    performance.mark("socketlab:demo-built", { detail: { demo: this.kind } });
    await opened;
    this.openTap();
    this.refreshSenders();
    this.setReady();
    this.section.dataset.ready = "";
    this.markReady();
    // The editor shows code kept from an earlier visit (or a share link's): run it, so the server
    // runs what the editor shows.
    if (this.code?.edited) this.code.run().catch(() => {});
    // On the page's performance timeline: its startTime is the time since navigation start.
    performance.mark("socketlab:demo-ready", { detail: { demo: this.kind, clients: this.clients.length } });
  }

  /** POST /play/KIND: {body} (the create response) or {error} (what to tell the student). */
  async createInstance(cfg) {
    let res;
    try {
      res = await fetch("/play/" + encodeURIComponent(this.kind), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(cfg),
        credentials: "same-origin",
      });
    } catch (err) {
      return { error: "Could not reach the server: " + err.message };
    }
    let body = {};
    try {
      body = await res.json();
    } catch {
      body = {};
    }
    if (!res.ok) return { error: body.error ?? `The server answered ${res.status}.`, status: res.status };
    return { body };
  }

  readyText() {
    const off = this.clients.filter((c) => !c.connected).map((c) => c.name);
    const n = this.clients.length - off.length;
    return `Ready: ${n} of ${this.clients.length} clients connected` +
      (off.length ? ` (offline: ${off.join(", ")}).` : ".");
  }

  /**
   * The status line "PREFIX Ready: n of m clients connected.", kept true as clients drop and come
   * back (refreshReady) until another status replaces it.
   */
  setReady(prefix = "") {
    this.readyPrefix = prefix;
    this.setStatus(prefix + this.readyText());
    this.statusReady = true;
  }

  refreshReady() {
    if (this.statusReady) this.setReady(this.readyPrefix);
  }

  fail(msg) {
    this.setStatus("This demo could not start: " + msg);
    this.statusEl.dataset.state = "error";
    this.section.dataset.failed = "";
    this.markReady();
  }

  setStatus(text) {
    this.statusEl.textContent = text;
    this.statusReady = false; // setReady sets it again
  }

  clientDefaults(c) {
    this.kindDef.clientDefaults?.(this, c);
    return c;
  }

  destroy() {
    this.closed = true;
    this.tap?.close();
    for (const c of this.clients) c.close();
  }

  // ----- layout ------------------------------------------------------------------------------

  build() {
    const id = (s) => `${this.uid}-${s}`;
    this.section.classList.add("demo-live");
    const title = this.cfg.title ? h("p", { class: "demo-caption" }, this.cfg.title) : null;
    // Who got the last message, next to the button that sent it (phones: the columns may be a
    // screen away). It moves to the row of whichever button acted last (placeStrip).
    this.stripEl = h("p", { class: "demo-strip", "data-testid": "who-got-it", hidden: true });
    this.section.addEventListener("click", (e) => {
      const b = e.target.closest?.("button");
      if (b && this.section.contains(b)) this.lastButton = b;
    }, true);
    this.section.addEventListener("submit", (e) => {
      if (e.submitter) this.lastButton = e.submitter;
      else this.lastButton = e.target.querySelector?.("button[type=submit]") ?? this.lastButton;
    }, true);

    // Who got it: the last message, its exact call, and the receipts.
    this.resultEl = h("div", { class: "demo-result", role: "status", "aria-live": "polite", "data-testid": "demo-result" },
      h("p", { class: "demo-muted" }, "Send something: the columns that receive it light up here and in the log."));

    this.columnsEl = h("div", { class: "demo-columns", "data-testid": "demo-columns" });
    const addName = h("input", { type: "text", id: id("add-name"), maxlength: "32", placeholder: "Name", size: "8" });
    const addNsp = select({ id: id("add-nsp") }, this.namespaceOptions());
    const addForm = h("form", { class: "demo-add", "data-testid": "add-client", onsubmit: (e) => {
      e.preventDefault();
      const name = addName.value.trim() || this.freeName();
      addName.value = "";
      this.addClient({ name, namespace: addNsp.value });
    } }, field("New client", addName), field("Namespace", addNsp), h("button", { type: "submit", class: "demo-btn" }, "+ Add client"));
    addForm.dataset.control = "add";

    const panels = [];
    panels.push(this.buildComposer(id));
    if (this.cfg.script?.length) panels.unshift(this.buildScript(id));
    if (this.cfg.predict) panels.unshift(this.buildPredict(id));
    if (this.cfg.outcome) panels.unshift(new OutcomePanel(this, id).el);

    // The control that acts, then the columns that light up, then the details of the message.
    const main = h("div", { class: "demo-main" }, title, ...panels,
      h("h3", { class: "demo-h" }, "Clients"), this.columnsEl, this.resultEl, addForm);

    const code = this.buildServerCode(id);
    code.dataset.control = "code";
    this.side = h("div", { class: "demo-side" }, code, this.buildDiagram(), this.kindDef.side?.(this) ?? null, this.buildConsole());
    this.gridEl = h("div", { class: "demo-grid" }, main, this.side);
    const log = this.buildLog(id);
    log.dataset.control = "log";
    let bar = this.statusEl;
    if (this.declared) {
      this.allBtn = h("button", { type: "button", class: "demo-btn demo-small demo-all", "aria-expanded": "false", "data-testid": "all-controls",
        onclick: () => {
          this.showAll = !this.showAll;
          this.applyControls();
        } }, "All controls");
      bar = h("div", { class: "demo-bar" }, this.statusEl, this.allBtn);
    }
    setChildren(this.stage, bar, this.gridEl, log);
    this.built = true;
    this.applyControls();
  }

  /**
   * Shows the parts of the widget the lesson declared (data-control="NAME …": shown when one of
   * its names is declared), or all of them (no declaration, "All controls", the playground).
   */
  applyControls() {
    if (!this.built) return;
    const all = !this.declared || this.showAll;
    for (const el of this.section.querySelectorAll("[data-control]")) {
      const on = all || el.dataset.control.split(" ").some((n) => this.declared.has(n) || this.required.has(n));
      el.classList.toggle("demo-off", !on);
    }
    // The side column takes no room when nothing in it shows.
    this.gridEl.classList.toggle("demo-grid-one", ![...this.side.children].some((el) => !el.classList.contains("demo-off")));
    if (this.allBtn) {
      this.allBtn.textContent = all ? "Fewer controls" : "All controls";
      this.allBtn.setAttribute("aria-expanded", String(all));
      this.allBtn.title = all ? "Show only the controls this lesson uses" : "Show every control of the demo";
    }
  }

  /** A part this page needs whatever the lesson declared (an exercise needs the code editor). */
  needControl(name) {
    this.required.add(name);
    this.applyControls();
  }

  namespaceOptions() {
    const set = new Set(["/"]);
    for (const n of this.cfg.namespaces ?? []) set.add(n);
    for (const t of this.cfg.tenants ?? []) set.add("/org-" + t.name);
    for (const c of this.cfg.clients ?? []) set.add(c.namespace || "/");
    return [...set].map((n) => [n, n]);
  }

  roomOptions() {
    const set = new Set(this.cfg.rooms ?? []);
    for (const c of this.cfg.clients ?? []) for (const r of c.rooms ?? []) set.add(r);
    for (const s of this.stateSockets.values()) for (const r of s.rooms) if (r !== s.id) set.add(r);
    const opts = [...set].map((r) => [r, r]);
    for (const c of this.clients) {
      for (const sid of c.sids()) opts.push([sid, `${c.name}'s own room (${sid.slice(0, 6)}…)`]);
    }
    return opts;
  }

  freeName() {
    const used = new Set(this.clients.map((c) => c.name));
    for (const n of "ABCDEFGHIJKLMNOPQRSTUVWXYZ") if (!used.has(n)) return n;
    return "client" + (this.clients.length + 1);
  }

  senderOptions() {
    const opts = [];
    for (const c of this.clients) {
      c.sockets.forEach(({ nsp }, i) => {
        opts.push([`${c.name}\u0000${i}`, c.sockets.length > 1 || nsp !== "/" ? `${c.name} (${nsp})` : c.name]);
      });
    }
    return opts;
  }

  refreshSenders() {
    for (const sel of this.section.querySelectorAll("select[data-sender]")) fillSelect(sel, this.senderOptions());
    // data-client-pick="N": a new list starts at the Nth client (default the first).
    for (const sel of this.section.querySelectorAll("select[data-client-pick]")) {
      const fresh = sel.options.length === 0;
      fillSelect(sel, this.clients.map((c) => [c.name, c.name]));
      const start = sel.options[Number(sel.dataset.clientPick) || 0];
      if (fresh && start) sel.value = start.value;
    }
    for (const sel of this.section.querySelectorAll("select[data-room-pick]")) fillSelect(sel, this.roomOptions());
    if (this.predictBoxes) this.renderPredictChoices();
  }

  pickSender(value) {
    const [name, i] = String(value).split("\u0000");
    const c = this.clients.find((c) => c.name === name);
    return c ? { client: c, entry: c.sockets[Number(i) || 0] } : null;
  }

  buildComposer(id) {
    const defaults = this.kindDef.composer ?? {};
    const ev = this.cfg.event || defaults.event || "chat";
    const payload = this.cfg.payload !== undefined ? JSON.stringify(this.cfg.payload) : JSON.stringify("hello");
    const from = select({ id: id("from"), "data-sender": "", "data-testid": "composer-from" }, []);
    const event = h("input", { type: "text", id: id("event"), value: ev, maxlength: "64", "data-testid": "composer-event" });
    const args = h("textarea", { id: id("payload"), rows: "2", "data-testid": "composer-payload", spellcheck: "false" });
    args.value = payload;
    const scope = select({ id: id("scope"), "data-testid": "composer-scope" }, SCOPES.map(([v, js, what]) => [v, `${js} (${what.toLowerCase()})`]),
      defaults.scope ?? "all");
    const room = select({ id: id("room"), multiple: true, size: "3", "data-room-pick": "", "data-testid": "composer-room" }, []);
    const rooms = () => [...room.selectedOptions].map((o) => o.value);
    const except = select({ id: id("except"), "data-room-pick": "", "data-testid": "composer-except" }, []);
    const preview = h("code", { class: "demo-call", "data-testid": "composer-call" });
    const previewGo = h("code", { class: "demo-call", "data-testid": "composer-call-go" });
    const roomField = field("Rooms (to; Ctrl/⌘ or Shift to pick several)", room);
    const exceptField = field("Except room", except);
    const update = () => {
      const s = scope.value;
      roomField.hidden = !(s === "room" || s === "socket-room");
      exceptField.hidden = s !== "except";
      // The scope's call, as the server describes it; the row of the sent message has the exact one.
      const c = this.instance.scopes?.[s] ?? {};
      preview.textContent = c.js ?? "";
      previewGo.textContent = c.go ?? "";
    };
    for (const el of [from, event, args, scope, room, except]) el.addEventListener("input", update);
    for (const el of [from, scope, room, except]) el.addEventListener("change", update);
    this.composer = { event, args, scope, rooms, except }; // read by a client's "say" and the playground's share link

    const send = (s) => {
      const sender = this.pickSender(from.value);
      if (!sender) return;
      this.sendFrom(sender.client, sender.entry, {
        event: event.value.trim() || "chat",
        args: parseJSONish(args.value),
        scope: s ?? scope.value,
        room: rooms(),
        except: except.value,
      });
    };

    const buttons = [];
    const basic = h("div", { class: "demo-buttons demo-scope-buttons", "data-control": "scopes" });
    if (defaults.scopeButtons) {
      // The three basic scopes side by side, each one button.
      for (const [s, js, what] of SCOPES.slice(0, 3)) {
        basic.append(h("button", { type: "button", class: "demo-btn demo-scope-btn", "data-scope": s, "data-testid": "scope-" + s, onclick: () => send(s) },
          h("code", {}, js), h("span", { class: "demo-muted" }, what)));
      }
    }
    buttons.push(h("button", { type: "submit", class: "demo-btn demo-primary", "data-testid": "composer-send" }, "Emit"));
    // A lesson may show the scope buttons without the rest of the composer (data-control).
    const tag = (el, names) => {
      el.dataset.control = names;
      return el;
    };

    const form = h("form", { class: "demo-composer", "aria-label": "Composer", onsubmit: (e) => {
      e.preventDefault();
      send();
    } },
    h("div", { class: "demo-row", "data-control": defaults.scopeButtons ? "emit scopes" : "emit" }, tag(field("From client", from), defaults.scopeButtons ? "emit scopes" : "emit"),
      tag(field("Event", event), "emit"), tag(field("Scope", scope), "emit"), tag(roomField, "emit"), tag(exceptField, "emit")),
    tag(field("Payload (JSON, or plain text)", args, "demo-wide-field"), "emit"),
    h("p", { class: "demo-callline", "data-control": "emit" }, h("span", { class: "demo-lang" }, "JS"), preview),
    h("p", { class: "demo-callline", "data-control": "emit" }, h("span", { class: "demo-lang" }, "Go"), previewGo),
    defaults.scopeButtons ? basic : null,
    h("div", { class: "demo-buttons", "data-control": "emit" }, buttons));

    const extra = this.kindDef.panels?.(this, id) ?? [];
    queueMicrotask(update);
    const wrap = h("section", { class: "demo-panel demo-compose-panel", "aria-labelledby": id("compose-h") },
      h("h3", { class: "demo-h", id: id("compose-h") }, extra.length ? "Send" : "Composer"), ...extra.map((el) => tag(el, "panel")));
    if (extra.length) {
      wrap.append(tag(h("details", { class: "demo-more" }, h("summary", {}, "Emit any event with any scope"), form), "emit"));
      wrap.dataset.control = "panel emit";
    } else {
      wrap.append(form);
      wrap.dataset.control = defaults.scopeButtons ? "emit scopes" : "emit";
    }
    return wrap;
  }

  buildScript(id) {
    const steps = this.cfg.script;
    this.scriptList = h("ol", { class: "demo-steps", "data-testid": "script-steps" },
      steps.map((s, i) => h("li", { "data-step": String(i) }, this.describeStep(s, this.instance.steps?.[i]))));
    this.playBtn = h("button", { type: "button", class: "demo-btn demo-primary", "data-testid": "script-play", onclick: () => this.playAll() }, "▶ Play");
    this.stepBtn = h("button", { type: "button", class: "demo-btn", "data-testid": "script-step", onclick: () => this.playNext() }, "Next step");
    this.resetBtn = h("button", { type: "button", class: "demo-btn", "data-testid": "script-reset", onclick: () => {
      this.scriptIndex = 0;
      this.renderScript();
    } }, "Start over");
    this.scriptStatus = h("p", { class: "demo-muted", role: "status", "data-testid": "script-status" });
    const panel = h("section", { class: "demo-panel", "aria-labelledby": id("script-h") },
      h("h3", { class: "demo-h", id: id("script-h") }, "Script"), this.scriptList,
      h("div", { class: "demo-buttons" }, this.playBtn, this.stepBtn, this.resetBtn), this.scriptStatus);
    queueMicrotask(() => this.renderScript());
    return panel;
  }

  /** A step in words; call is the server's text of the call an emitting step makes. */
  describeStep(s, call) {
    if (s.join) return `${s.client} joins ${q(s.join)} (socket.join)`;
    if (s.leave) return `${s.client} leaves ${q(s.leave)} (socket.leave)`;
    if (s.disconnect) return `${s.client} disconnects`;
    if (s.connect) return `${s.client} connects again`;
    return `${s.client}: ${call?.js ?? `emits ${q(s.emit)}`}`;
  }

  renderScript() {
    const steps = this.cfg.script ?? [];
    for (const li of this.scriptList.children) {
      const i = Number(li.dataset.step);
      li.dataset.state = i < this.scriptIndex ? "done" : i === this.scriptIndex ? "next" : "todo";
      if (i === this.scriptIndex) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
    const done = this.scriptIndex >= steps.length;
    this.stepBtn.disabled = done || this.playing;
    this.playBtn.disabled = done || this.playing;
    this.scriptStatus.textContent = done ? `All ${steps.length} steps played.` : `Step ${this.scriptIndex + 1} of ${steps.length} is next.`;
  }

  async playNext() {
    const steps = this.cfg.script ?? [];
    if (this.scriptIndex >= steps.length || this.stepping) return;
    this.stepping = true;
    this.stepBtn.disabled = true;
    try {
      await this.runStep(steps[this.scriptIndex]);
    } catch (err) {
      this.setStatus("Step failed: " + err.message);
    }
    this.scriptIndex++;
    this.stepping = false;
    this.renderScript();
  }

  async playAll() {
    this.playing = true;
    this.renderScript();
    while (this.scriptIndex < (this.cfg.script ?? []).length && !this.closed) {
      await this.playNext();
      await new Promise((r) => setTimeout(r, reducedMotion() ? 150 : 600)); // one step at a time, visibly
    }
    this.playing = false;
    this.renderScript();
  }

  /** Runs one script/predict step; resolves when its effect is visible (message settled). */
  async runStep(s) {
    const c = this.clients.find((c) => c.name === s.client);
    if (!c) throw new Error(`no client ${s.client}`);
    if (s.join) return this.doJoin(c, s.join);
    if (s.leave) return this.doLeave(c, s.leave);
    if (s.disconnect) return c.disconnect();
    if (s.connect) {
      const p = new Promise((r) => c.socket.once("connect", r));
      c.reconnect();
      return p;
    }
    return this.sendFrom(c, c.sockets[0], {
      event: s.emit,
      args: s.args ?? [],
      scope: s.scope || "self",
      room: s.to?.length ? s.to : s.room ?? "",
      except: s.except || s.room || "",
    });
  }

  buildPredict(id) {
    const p = this.cfg.predict;
    this.predictBoxes = h("div", { class: "demo-predict-choices", "data-testid": "predict-choices" });
    this.predictResult = h("p", { class: "demo-grade", role: "status", "data-testid": "predict-result" });
    this.predictBtn = h("button", { type: "submit", class: "demo-btn demo-primary", "data-testid": "predict-run" }, "Lock my answer and run it");
    const again = h("button", { type: "button", class: "demo-btn", hidden: true, "data-testid": "predict-again", onclick: () => {
      again.hidden = true;
      this.predictBtn.disabled = false;
      this.predictResult.textContent = "";
      delete this.predictResult.dataset.state;
      for (const b of this.predictBoxes.querySelectorAll("input")) {
        b.disabled = false;
        b.checked = false;
      }
    } }, "Try again");
    this.predictAgain = again;
    const form = h("form", { class: "demo-panel demo-predict", "aria-labelledby": id("predict-h"), onsubmit: (e) => {
      e.preventDefault();
      this.runPrediction();
    } },
    h("h3", { class: "demo-h", id: id("predict-h") }, "Predict, then run"),
    h("p", {}, p.question || "Who will receive this message?"),
    h("p", {}, h("code", { class: "demo-call" }, this.describeStep(p, this.instance.predict))),
    h("fieldset", {}, h("legend", {}, "Tick every client that will receive it"), this.predictBoxes),
    h("div", { class: "demo-buttons" }, this.predictBtn, again), this.predictResult);
    return form;
  }

  renderPredictChoices() {
    const checked = new Set([...this.predictBoxes.querySelectorAll("input:checked")].map((b) => b.value));
    const locked = this.predictBtn.disabled;
    setChildren(this.predictBoxes, this.clients.map((c) =>
      h("label", { class: "demo-check" }, h("input", { type: "checkbox", value: c.name, checked: checked.has(c.name), disabled: locked, "data-testid": "predict-" + c.name }), " ", c.name)));
  }

  async runPrediction() {
    const boxes = [...this.predictBoxes.querySelectorAll("input")];
    const predicted = new Set(boxes.filter((b) => b.checked).map((b) => b.value));
    for (const b of boxes) b.disabled = true;
    this.predictBtn.disabled = true;
    this.predictResult.textContent = "Answer locked. Running…";
    const m = await this.runStep(this.cfg.predict);
    const actual = new Set(this.clients.filter((c) => m && this.roleOf(m, c).received).map((c) => c.name));
    const missed = [...actual].filter((n) => !predicted.has(n));
    const wrong = [...predicted].filter((n) => !actual.has(n));
    if (missed.length === 0 && wrong.length === 0) {
      this.predictResult.dataset.state = "correct";
      this.predictResult.textContent = `${ICON.received} Correct: ${names([...actual])} received it.`;
    } else {
      this.predictResult.dataset.state = "wrong";
      const parts = [`✘ Not quite. Received: ${names([...actual])}.`];
      if (missed.length) parts.push(`Missed: ${missed.join(", ")}.`);
      if (wrong.length) parts.push(`Wrongly included: ${wrong.join(", ")}.`);
      this.predictResult.textContent = parts.join(" ");
    }
    this.predictAgain.hidden = false;
  }

  buildServerCode(id) {
    this.code = new CodePanel(this, id); // demo-code.js: the editor, Run, Reset, the Go tab
    return this.code.el;
  }

  /**
   * After Run (demo-code.js) the old server closes: every active socket (connected, or already
   * dropped by the closing server and waiting for its reconnection backoff) reconnects now. All of
   * a client's sockets first leave, so its Manager closes the old connection, then they connect
   * again over a fresh one to the new server. A client the student disconnected, or whose network
   * is "lost" (queue demo), stays as it is.
   */
  /**
   * Keeps the keyboard's place when a column goes: the focus moves to the Remove of the column
   * that took its place (or the one before), else to that column's name, else "+ Add client".
   */
  focusAfterRemove(at) {
    const next = this.clients[at] ?? this.clients[at - 1];
    const visible = (el) => el && el.checkVisibility();
    const button = next?.el.querySelector("[data-testid=client-remove]");
    if (visible(button)) return button.focus();
    const name = next?.el.querySelector("[data-testid=client-name]");
    if (visible(name)) {
      name.tabIndex = -1;
      return name.focus();
    }
    const add = this.section.querySelector("[data-testid=add-client] input");
    if (visible(add)) add.focus();
  }

  /**
   * Reconnects the page's clients to a new server. Resolves once each of them has connected or
   * been refused (at most `ms`): an exercise's checks run on the same server, and a page client
   * arriving in the middle of a check would be one more "connection" the check did not make.
   */
  restartClients(ms = 3000) {
    const outcomes = [];
    for (const c of this.clients) {
      const active = c.netLost ? [] : c.sockets.filter(({ socket }) => socket.active);
      if (!active.length) continue;
      for (const { socket } of active) socket.disconnect();
      c.joinedInitial = false; // the new server starts with no rooms: join the setup's rooms again
      c.note = "reconnecting to the new server…";
      for (const { socket } of active) {
        outcomes.push(settled(socket));
        socket.connect();
      }
    }
    this.index();
    for (const c of this.clients) this.renderClient(c);
    let timer;
    return Promise.race([Promise.all(outcomes), new Promise((r) => { timer = setTimeout(r, ms); })]).finally(() => clearTimeout(timer));
  }

  buildDiagram() {
    this.diagramEl = h("div", { class: "demo-diagram", "data-testid": "diagram" }, h("p", { class: "demo-muted" }, "Waiting for the server's state…"));
    return h("section", { class: "demo-panel", "aria-label": "Namespaces, rooms and members", "data-control": "diagram" },
      h("h3", { class: "demo-h" }, "Namespaces → rooms → members"), this.diagramEl);
  }

  buildConsole() {
    this.consoleEl = h("div", { class: "demo-console", "data-testid": "console", role: "log", "aria-live": "off", "aria-label": "Server console", tabindex: "0" }); // announced: the result only
    return h("section", { class: "demo-panel", "aria-label": "Server console (proof of life)", "data-control": "console" },
      h("h3", { class: "demo-h" }, "Server console"), this.consoleEl);
  }

  buildLog(id) {
    const filter = h("input", { type: "search", id: id("filter"), placeholder: "e.g. room-1 or Ada", "data-testid": "log-filter" });
    this.pauseBtn = h("button", { type: "button", class: "demo-btn", "aria-pressed": "false", "data-testid": "log-pause", onclick: () => this.togglePause() }, "Pause");
    const clear = h("button", { type: "button", class: "demo-btn", "data-testid": "log-clear", onclick: () => {
      this.logBody.replaceChildren();
      this.heldRows = [];
      this.updateHeld();
    } }, "Clear");
    this.heldEl = h("span", { class: "demo-muted", "data-testid": "log-held" });
    filter.addEventListener("input", () => {
      this.filter = filter.value.trim().toLowerCase();
      for (const row of this.logBody.children) this.applyFilter(row);
    });
    // A table of rows laid out on one grid template each; off-screen rows skip rendering
    // (content-visibility), so 500 rows cost about what the visible ones cost.
    this.logBody = h("div", { role: "rowgroup", class: "demo-log-body", "data-testid": "log-body" });
    const head = h("div", { role: "row", class: "demo-log-row demo-log-head" },
      LOG_COLUMNS.map((t) => h("span", { role: "columnheader" }, t)));
    const table = h("div", { role: "table", class: "demo-log-table", "aria-label": "Event log, newest first" }, h("div", { role: "rowgroup" }, head), this.logBody);
    const wrap = h("div", { class: "demo-log-wrap", role: "log", "aria-live": "off", "aria-label": "Event log", tabindex: "0" }, table); // one announcement per emit: the result's
    // A table wider than its box says so, at the side it continues on (demo-log-more).
    const more = h("p", { class: "demo-log-more", "aria-hidden": "true", "data-testid": "log-more", hidden: true }, "More columns → scroll sideways");
    const edge = () => {
      const rest = wrap.scrollWidth - wrap.clientWidth - wrap.scrollLeft;
      wrap.classList.toggle("is-cut-right", rest > 2);
      wrap.classList.toggle("is-cut-left", wrap.scrollLeft > 2);
      more.hidden = !(rest > 2);
    };
    wrap.addEventListener("scroll", edge, { passive: true });
    if (typeof ResizeObserver === "function") new ResizeObserver(edge).observe(wrap);
    return h("section", { class: "demo-panel demo-log", "aria-labelledby": id("log-h") },
      h("div", { class: "demo-log-bar" }, h("h3", { class: "demo-h", id: id("log-h") }, "Event log"), field("Filter", filter), this.pauseBtn, clear, this.heldEl),
      more, wrap);
  }

  togglePause() {
    this.paused = !this.paused;
    this.pauseBtn.setAttribute("aria-pressed", String(this.paused));
    this.pauseBtn.textContent = this.paused ? "Resume" : "Pause";
    if (!this.paused) {
      this.rowQueue.push(...this.heldRows);
      this.heldRows = [];
      this.schedule("rows");
    }
    this.updateHeld();
  }

  updateHeld() {
    this.heldEl.textContent = this.paused ? `Paused: ${this.heldRows.length} new row${this.heldRows.length === 1 ? "" : "s"} held.` : "";
  }

  applyFilter(row) {
    row.hidden = !!this.filter && !row.textContent.toLowerCase().includes(this.filter);
  }

  // ----- columns -----------------------------------------------------------------------------

  addColumn(c) {
    const status = h("p", { class: "demo-col-status", "data-testid": "client-status" });
    const role = h("p", { class: "demo-col-role", "data-testid": "client-role" });
    const details = h("dl", { class: "demo-col-facts" });
    const received = h("ul", { class: "demo-col-received", "data-testid": "client-received", "aria-label": `What ${c.name} received` });
    const note = h("p", { class: "demo-col-note", "data-testid": "client-note" });
    const heading = h("h4", { class: "demo-col-name", "data-testid": "client-name" }, c.name);
    const controls = h("div", { class: "demo-col-controls" });
    const el = h("article", { class: "demo-col", "data-client": c.name, "data-testid": "client", "aria-label": `Client ${c.name}` },
      heading, role, status, details, controls, note, h("p", { class: "demo-col-sub" }, "Received"), received);
    c.el = el;
    c.ui = { heading, role, status, details, received, note, controls };
    this.buildControls(c);
    this.columnsEl.append(el);
    this.applyControls(); // the new column's controls, as the lesson declared
    this.renderClient(c);
  }

  buildControls(c) {
    const btn = (label, testid, fn) => h("button", { type: "button", class: "demo-btn demo-small", "data-testid": testid, onclick: fn }, label);
    const conn = btn("Disconnect", "client-toggle", () => (c.connected ? c.disconnect() : c.netLost ? c.networkBack() : c.reconnect()));
    c.ui.toggle = conn;
    const say = h("input", { type: "text", value: "", placeholder: "say…", size: "8", "aria-label": `Message from ${c.name}`, "data-testid": "client-say" });
    const sayForm = h("form", { class: "demo-say", onsubmit: (e) => {
      e.preventDefault();
      if (!c.connected) return;
      const text = say.value || "hi from " + c.name;
      if (this.kindDef.say) {
        this.kindDef.say(this, c, text);
      } else {
        const cmp = this.composer;
        this.sendFrom(c, c.sockets[0], { event: cmp.event.value.trim() || "chat", args: [text], scope: cmp.scope.value, room: cmp.rooms(), except: cmp.except.value });
      }
      say.value = "";
    } }, say, h("button", { type: "submit", class: "demo-btn demo-small", "data-testid": "client-say-send" }, "Send"));
    sayForm.dataset.control = "say";
    const rename = btn("Rename", "client-rename", () => {
      const input = h("input", { type: "text", value: c.name, maxlength: "32", "aria-label": `New name for ${c.name}`, "data-testid": "client-rename-input" });
      const f = h("form", { class: "demo-say", onsubmit: (e) => {
        e.preventDefault();
        const n = input.value.trim();
        if (n && !this.clients.some((o) => o !== c && o.name === n)) {
          c.rename(n);
          c.el.dataset.client = n;
          c.ui.heading.textContent = n;
          c.el.setAttribute("aria-label", `Client ${n}`);
          this.refreshSenders();
        }
        f.replaceWith(rename);
        rename.focus();
      } }, input, h("button", { type: "submit", class: "demo-btn demo-small" }, "OK"));
      rename.replaceWith(f);
      input.focus();
      input.select();
    });
    const remove = btn("Remove", "client-remove", () => {
      const at = this.clients.indexOf(c);
      const hadFocus = c.el.contains(document.activeElement);
      c.close();
      c.el.remove();
      this.clients = this.clients.filter((o) => o !== c);
      this.index();
      this.refreshSenders();
      if (hadFocus) this.focusAfterRemove(at);
    });
    conn.dataset.control = "disconnect";
    rename.dataset.control = "rename";
    remove.dataset.control = "remove";
    const row1 = h("div", { class: "demo-buttons", "data-control": "disconnect rename remove" }, conn, rename, remove);
    setChildren(c.ui.controls, sayForm, row1);
    if (this.kindDef.roomControls || this.playground) {
      // Join takes the typed name if there is one, else the room picked; Leave always the room
      // picked (a name typed for joining must not make Leave act on another room).
      const room = select({ "aria-label": `Room for ${c.name}`, "data-testid": "client-room" }, this.columnRoomOptions());
      c.ui.roomPick = room;
      const custom = h("input", { type: "text", placeholder: "or a new room", size: "8", "aria-label": `New room name for ${c.name}`, "data-testid": "client-room-new" });
      const join = async () => {
        const r = custom.value.trim() || room.value;
        if (!r) return;
        await this.doJoin(c, r);
        if (custom.value.trim() === r) custom.value = "";
        fillSelect(room, this.columnRoomOptions(r), r);
      };
      c.ui.controls.append(h("div", { class: "demo-buttons demo-col-rooms", "data-control": "rooms" }, field("Room", room, "demo-inline-field"), custom,
        btn("Join", "client-join", join),
        btn("Leave", "client-leave", () => room.value && this.doLeave(c, room.value))));
    }
    if (this.kindDef.multiplex || this.playground) {
      const others = this.namespaceOptions().filter(([n]) => n !== c.namespace);
      if (others.length) {
        const nsp = select({ "aria-label": `Namespace to open on ${c.name}'s connection`, "data-testid": "client-multiplex-nsp" }, others);
        c.ui.controls.append(h("div", { class: "demo-buttons", "data-control": "multiplex" }, field("Namespace", nsp, "demo-inline-field"),
          btn("Open on the same connection", "client-multiplex", () => c.openAlso(nsp.value))));
      }
    }
    for (const el of this.kindDef.controls?.(this, c, btn) ?? []) {
      el.dataset.control = "tools";
      c.ui.controls.append(el);
    }
  }

  /** The rooms a column's room menu offers: the demo's and those joined so far (not the own rooms). */
  columnRoomOptions(extra) {
    const set = new Set(this.cfg.rooms ?? []);
    for (const c of this.cfg.clients ?? []) for (const r of c.rooms ?? []) set.add(r);
    for (const s of this.stateSockets.values()) for (const r of s.rooms) if (r !== s.id) set.add(r);
    if (extra) set.add(extra);
    return [...set].map((r) => [r, r]);
  }

  /** A separate, short-lived connection that a middleware should refuse (namespaces, tenants). */
  tryConnect(c, nsp, token, what) {
    const s = io(nsp, { path: this.instance.path, auth: { name: c.name, token }, forceNew: true, reconnection: false });
    c.note = `Trying ${nsp} with ${what}…`;
    this.renderClient(c);
    const done = (text, state) => {
      c.note = text;
      c.noteState = state;
      this.renderClient(c);
      s.disconnect();
    };
    s.on("connect_error", (err) => done(`${ICON.warn} ${what}: connect_error "${err.message}" from ${nsp}`, "error"));
    s.on("connect", () => done(`${ICON.received} ${what}: connected to ${nsp} (id ${s.id})`, "ok"));
  }

  async doJoin(c, room) {
    try {
      const res = await c.join(room);
      if (res?.error) c.note = `join ${room}: ${res.error}`;
      else c.note = `joined ${room}`;
    } catch (err) {
      c.note = `join ${room}: ${err.message}`;
    }
    this.renderClient(c);
    this.refreshSenders();
  }

  async doLeave(c, room) {
    try {
      const res = await c.leave(room);
      c.note = res?.error ? `leave ${room}: ${res.error}` : `left ${room}`;
    } catch (err) {
      c.note = `leave ${room}: ${err.message}`;
    }
    this.renderClient(c);
  }

  addClient(cfg) {
    const c = this.clientDefaults(new VClient(this, { ...cfg, name: this.clients.some((o) => o.name === cfg.name) ? this.freeName() : cfg.name }));
    this.clients.push(c);
    this.addColumn(c);
    c.open().then(() => this.refreshSenders());
    return c;
  }

  renderClient(c) {
    if (!c.el) return;
    this.dirty.add(c);
    this.schedule("clients");
  }

  drawClient(c) {
    const u = c.ui;
    u.status.textContent = c.connected ? "● connected" : "○ offline";
    u.status.dataset.state = c.connected ? "on" : "off";
    u.toggle.textContent = c.connected ? "Disconnect" : "Reconnect";
    this.kindDef.drawClient?.(this, c);
    const facts = [];
    for (const { nsp, socket } of c.sockets) {
      const st = socket.id ? this.stateSockets.get(socket.id) : null;
      const rooms = st ? st.rooms.filter((r) => r !== socket.id) : [];
      facts.push(h("dt", {}, "namespace"), h("dd", { "data-testid": "client-nsp" }, nsp));
      facts.push(h("dt", {}, "socket id"), h("dd", { class: "demo-mono", "data-testid": "client-id" }, socket.id ?? "—"));
      facts.push(h("dt", {}, "rooms"), h("dd", { "data-testid": "client-rooms" }, rooms.length ? rooms.join(", ") : "none"));
    }
    // Only where it can change (the polling demos): elsewhere every client is on a WebSocket.
    if (c.connected && c.transport && this.polls) facts.push(h("dt", {}, "transport"), h("dd", { "data-testid": "client-transport", title: "The handshake's transport, then the upgrade (socket.io.engine)" }, c.transport));
    if (c.sockets.length > 1) facts.push(h("dt", {}, "connection"), h("dd", { "data-testid": "client-multiplex" }, `1 connection carries ${c.sockets.map((s) => s.nsp).join(" and ")}`));
    setChildren(u.details, facts);
    u.note.textContent = c.note;
    if (c.noteState) {
      c.noteMark = { text: c.note, state: c.noteState }; // the colour lasts as long as the note
      c.noteState = "";
    }
    u.note.dataset.state = c.noteMark?.text === c.note ? c.noteMark.state : "";
    setChildren(u.received, c.received.length ? c.received.map((r) => h("li", {}, h("span", { "aria-hidden": "true" }, r.icon + " "), r.text)) : h("li", { class: "demo-muted" }, "nothing yet"));
    const role = c.role;
    if (!role) {
      u.role.textContent = "";
      c.el.dataset.role = "";
    } else {
      const parts = [];
      if (role.sender) parts.push(`${ICON.sender} sender`);
      if (role.received) parts.push(`${ICON.received} received`);
      if (role.excluded) parts.push(`${ICON.excluded} excluded`);
      if (!parts.length) parts.push(`${ICON.none} not received`);
      if (role.mismatch) parts.push(`${ICON.warn} ${role.mismatch}`);
      u.role.textContent = parts.join(" · ");
      c.el.dataset.role = [role.sender && "sender", role.received && "received", role.excluded && "excluded"].filter(Boolean).join(" ") || "none";
    }
    if (c.flash) {
      // Two identical animations, alternated: switching restarts it without forcing a layout.
      c.flash = false;
      c.lit = !c.lit;
      c.el.classList.toggle("is-lit", c.lit);
      c.el.classList.toggle("is-lit2", !c.lit);
    }
  }

  // ----- the tap --------------------------------------------------------------------------------

  openTap() {
    if (!this.instance.tap) return;
    const es = new EventSource(this.instance.tap);
    this.tap = es;
    this.tapErrors = 0;
    es.onopen = () => {
      if (es !== this.tap || !this.serverLost) return;
      // The same server answers again (a network blip, not a restart): the clients go on.
      this.serverLost = false;
      this.tapErrors = 0;
      for (const c of this.clients) c.resume();
      this.setReady("The connection to the server is back. ");
      this.statusEl.dataset.state = "";
    };
    es.onerror = () => {
      if (es !== this.tap || this.closed) return;
      if (es.readyState === EventSource.CLOSED) {
        // The server answered, but not with this instance's stream (404 unknown, 410 closed): it
        // restarted, or reclaimed the instance. Start a fresh one.
        this.recoverServer();
        return;
      }
      // No answer: EventSource retries by itself; meanwhile the clients wait instead of
      // hammering a server that is not there.
      if (!this.serverLost) {
        this.serverLost = true;
        for (const c of this.clients) c.suspend();
        this.statusEl.dataset.state = "lost";
      }
      this.tapErrors++;
      if (this.tapErrors > TAP_RETRIES) {
        es.close();
        this.offerRetry("The server is not answering.");
        return;
      }
      this.setStatus("Lost the connection to the server: reconnecting…");
    };
    es.onmessage = (e) => {
      let d;
      try {
        d = JSON.parse(e.data);
      } catch {
        return;
      }
      if (d.type === "state") this.onState(d);
      else if (d.type === "tap") this.onTap(d);
      else if (d.type === "log") this.onLog(d);
      else this.kindDef.onMessage?.(this, d); // the kind's own messages (the cluster demo's "broker")
    };
  }

  /**
   * The demo's server is gone (socketlab serve restarted, or the instance was reclaimed): start a
   * fresh instance with the same setup, move every client to it, run the student's edited code
   * there again, and say so. A failed start is retried after RESTART_DELAYS, then "Try again".
   */
  async recoverServer() {
    if (this.recovering || this.closed || !this.startConfig) return;
    this.recovering = true;
    this.tap?.close();
    this.tap = null;
    for (const c of this.clients) c.suspend();
    this.statusEl.dataset.state = "lost";
    let why = "";
    let body = null;
    for (const delay of RESTART_DELAYS) {
      if (delay) {
        this.setStatus(`Server restarted: this demo could not start again (${why}); retrying in ${delay / 1000} s…`);
        await sleep(delay);
      } else {
        this.setStatus("Server restarted: starting this demo again…");
      }
      if (this.closed) return;
      const made = await this.createInstance(this.startConfig);
      if (made.body) {
        body = made.body;
        break;
      }
      why = made.error;
    }
    this.recovering = false;
    if (!body) return this.offerRetry(`Server restarted, and this demo could not start again: ${why}`);
    this.instance = body;
    this.serverLost = false;
    this.state = { namespaces: [] };
    this.stateSockets.clear();
    await Promise.all(this.clients.map((c) => c.reopen()));
    this.index();
    for (const c of this.clients) this.renderClient(c);
    this.openTap();
    this.refreshSenders();
    if (this.code?.edited) this.code.run().catch(() => {});
    this.statusEl.dataset.state = "";
    this.setReady("Server restarted: demo restarted. ");
  }

  /** Stops trying: the status line says why, with a button that starts over. */
  offerRetry(text) {
    for (const c of this.clients) c.suspend();
    this.statusEl.dataset.state = "error";
    setChildren(this.statusEl, text + " ", h("button", { type: "button", class: "demo-btn", "data-testid": "demo-retry", onclick: () => this.recoverServer() }, "Try again"));
  }

  index() {
    this.bySid.clear();
    for (const c of this.clients) for (const s of c.sockets) if (s.socket.id) this.bySid.set(s.socket.id, { client: c, nsp: s.nsp });
    this.refreshReady(); // called whenever a client connects or drops
  }

  nameOf(sid) {
    return this.bySid.get(sid)?.client.name ?? this.stateSockets.get(sid)?.name ?? (sid ? sid.slice(0, 6) + "…" : "server");
  }

  onState(d) {
    this.state = d;
    this.stateSockets.clear();
    for (const ns of d.namespaces ?? []) {
      for (const s of ns.sockets ?? []) this.stateSockets.set(s.id, { ...s, nsp: ns.name, rooms: s.rooms ?? [] });
    }
    this.schedule("diagram");
    this.kindDef.onState?.(this, d);
    for (const c of this.clients) this.renderClient(c);
    for (const sel of this.section.querySelectorAll("select[data-room-pick]")) fillSelect(sel, this.roomOptions());
    for (const c of this.clients) if (c.ui?.roomPick) fillSelect(c.ui.roomPick, this.columnRoomOptions());
    this.onSetupChange?.(); // the playground keeps its address bar's setup current
  }

  drawDiagram() {
    const out = [];
    for (const ns of this.state.namespaces ?? []) {
      const sockets = ns.sockets ?? [];
      const rooms = new Map();
      for (const s of sockets) {
        for (const r of s.rooms ?? []) {
          if (r === s.id) continue;
          if (!rooms.has(r)) rooms.set(r, []);
          rooms.get(r).push(s);
        }
      }
      const member = (s) => {
        const mine = this.bySid.get(s.id);
        return h("li", { class: "demo-member" + (mine ? "" : " is-external"), "data-member": s.name ?? "" },
          s.name || "(no name)", h("span", { class: "demo-mono demo-muted" }, " " + s.id.slice(0, 6)), mine ? null : h("span", { class: "demo-tag" }, "outside client"));
      };
      const roomEls = [...rooms.keys()].sort().map((r) =>
        h("li", { class: "demo-room", "data-room": r }, h("span", { class: "demo-room-name" }, "room " + r), h("ul", {}, rooms.get(r).map(member))));
      out.push(h("section", { class: "demo-ns", "data-nsp": ns.name },
        h("h4", {}, "namespace ", h("code", {}, ns.name), ` · ${sockets.length} socket${sockets.length === 1 ? "" : "s"}`),
        h("ul", { class: "demo-members" }, sockets.map(member)),
        roomEls.length ? h("ul", { class: "demo-rooms" }, roomEls) : h("p", { class: "demo-muted" }, "No rooms joined (each socket is still in its own room, named after its id).")));
    }
    const multi = this.clients.filter((c) => c.sockets.length > 1);
    if (multi.length) {
      out.push(h("p", { class: "demo-muted", "data-testid": "diagram-multiplex" }, "One connection, several namespaces: ",
        multi.map((c) => `${c.name}: ${c.sockets.map((s) => s.nsp).join(" + ")}`).join("; ")));
    }
    setChildren(this.diagramEl, out.length ? out : h("p", { class: "demo-muted" }, "No sockets connected."));
  }

  onLog(d) {
    if (d.attrs?.source === "console") {
      // The program's own output (console.log, its uncaught errors), shown as such.
      this.consoleQueue.push({ text: `${clock(d.time)} ${d.msg ?? ""}`, level: String(d.level ?? "INFO").toLowerCase(), program: true });
    } else {
      const attrs = Object.entries(d.attrs ?? {}).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ");
      this.consoleQueue.push({ text: `${clock(d.time)} ${d.level ?? ""} ${d.msg ?? ""}${attrs ? " " + attrs : ""}` });
    }
    if (this.consoleQueue.length > MAX_CONSOLE_LINES) this.consoleQueue.splice(0, this.consoleQueue.length - MAX_CONSOLE_LINES);
    this.schedule("console");
  }

  onTap(t) {
    switch (t.kind) {
      case "event_out":
        return this.onTapOut(t);
      case "connect":
        return this.logRow({ t, what: `${t.name || this.nameOf(t.socket)} connected`, sender: t.name || this.nameOf(t.socket), kind: "connect" });
      case "disconnect":
        return this.logRow({ t, what: `disconnect (${t.reason})`, sender: t.name || this.nameOf(t.socket), kind: "disconnect" });
      case "join":
        return this.logRow({ t, what: "join", room: t.room, sender: t.name || this.nameOf(t.socket), kind: "join" });
      case "leave":
        return this.logRow({ t, what: "leave", room: t.room, sender: t.name || this.nameOf(t.socket), kind: "leave" });
      case "connect_error":
        return this.logRow({ t, what: `connect_error: ${t.err}`, sender: t.name || "?", kind: "connect_error" });
      case "middleware":
        if (t.err) return this.logRow({ t, what: `middleware refused: ${t.err}`, sender: t.name || "?", kind: "middleware" });
        return;
      case "ack_in":
        return this.logRow({ t, what: `ack from client (#${t.ackId})`, sender: t.name || this.nameOf(t.socket), ack: t.argsPreview != null ? payloadText({ preview: t.argsPreview, bytes: t.argsBytes }) : short(t.args ?? [], 40), kind: "ack_in" });
      case "event_in":
        if (t.unhandled) return this.onUnhandled(t);
        return; // it would repeat what the message rows show
      default:
        return; // ack_out would repeat what the message rows show
    }
  }

  /** An event nobody on its namespace listens for: socket.io drops it; the demo says so. */
  onUnhandled(t) {
    const sender = t.name || this.nameOf(t.socket);
    this.logRow({ t, what: `${t.event}: no handler, dropped`, sender, kind: "unhandled" });
    const ack = t.ackId >= 0 ? " and the acknowledgement it asked for never comes (the sender's timeout fires)" : "";
    const why = `Nobody on ${t.nsp} listens for "${t.event}": the server dropped ${sender}'s emit${ack}.`;
    this.showProblem(why);
    this.kindDef.onUnhandled?.(this, t, why);
  }

  // ----- messages: receipts (real) × the tap (cross-check) -------------------------------------

  keyOf(nsp, event, args) {
    return nsp + "\u0000" + event + "\u0000" + stable(args ?? []);
  }

  newMessage(key, nsp, event, args) {
    const m = { key, nsp, event, args, time: new Date(), tap: null, receivedSids: new Set(), send: null, settled: false };
    m.big = stable(args).length > BIG_ARGS; // may match a tap event that carries a preview only
    this.messages.push(m);
    if (this.messages.length > MAX_MESSAGES) this.messages.splice(0, this.messages.length - MAX_MESSAGES);
    this.current = m;
    m.noTapTimer = setTimeout(() => this.settle(m), NO_TAP_MS);
    return m;
  }

  onReceipt(c, socket, nsp, event, args) {
    this.observing?.receipt(c.name, event); // a predict-the-outcome run is on (demo-outcome.js)
    const sid = socket.id;
    const key = this.keyOf(nsp, event, args);
    const big = stable(args).length > BIG_ARGS;
    // A tap event with a preview (m.preview) is matched by namespace, event and recipients.
    const same = (m) => m.key === key || (big && m.preview != null && m.nsp === nsp && m.event === event);
    let m = this.messages.find((m) => !m.settled && same(m) && !m.receivedSids.has(sid) && (!m.tap || m.tap.recipients?.includes(sid)));
    if (!m) m = this.newMessage(key, nsp, event, args);
    if (m.preview != null && !m.whole) {
      m.args = args; // a client received it whole: show that
      m.whole = true;
    }
    m.receivedSids.add(sid);
    const shown = this.kindDef.receivedText?.(event, args) ?? `${event} ${argText(args)}`;
    c.received.unshift({ icon: ICON.received, text: `${shown}${nsp !== c.namespace ? " on " + nsp : ""}` });
    if (c.received.length > MAX_RECEIVED) c.received.length = MAX_RECEIVED;
    c.flash = true;
    this.renderClient(c); // its received list changed, whether or not m is the message on show
    this.update(m);
  }

  onTapOut(t) {
    const cut = t.argsPreview != null; // the payload was too large for the tap: only its start came
    const key = cut ? this.keyOf(t.nsp, t.event, { preview: t.argsBytes }) : this.keyOf(t.nsp, t.event, t.args ?? []);
    const recips = t.recipients ?? [];
    const same = (m) => (cut ? m.big && m.nsp === t.nsp && m.event === t.event : m.key === key);
    let m = this.messages.find((m) => !m.tap && same(m) && [...m.receivedSids].every((s) => recips.includes(s)));
    if (!m) m = this.newMessage(key, t.nsp, t.event, t.args ?? []);
    // whole: a client on this page received the payload, so the row shows it, with its size.
    if (cut) Object.assign(m, { preview: t.argsPreview, bytes: t.argsBytes, whole: m.receivedSids.size > 0 });
    m.tap = t;
    m.time = new Date(t.time ?? Date.now());
    const p = this.pending.findIndex((p) => p.key === key || (p.event === t.event && p.nsp === t.nsp && (p.loose || (cut && p.big))));
    if (p >= 0) {
      m.send = this.pending[p];
      this.pending.splice(p, 1);
      m.send.message = m;
    }
    clearTimeout(m.noTapTimer);
    m.settleTimer = setTimeout(() => this.settle(m), SETTLE_MS);
    this.update(m);
  }

  /**
   * Remembers a send in flight, so the tap's event_out (which has the server's exact call) can be
   * tied to it. explain: the client's own emit, shown before the server's call it caused.
   */
  expectSend(c, entry, { event, args, scope, room, except, explain = "" }) {
    const nsp = entry?.nsp ?? c.namespace;
    const p = {
      key: args ? this.keyOf(nsp, event, args) : null,
      loose: !args, // chat: the server builds the payload, match by event name
      big: !!args && stable(args).length > BIG_ARGS, // may be matched by a tap event's preview
      event, nsp, scope, room, except,
      sender: c.name,
      senderSid: entry?.socket.id,
      explain,
      message: null,
    };
    p.done = new Promise((resolve) => (p.resolve = resolve));
    this.pending.push(p);
    if (this.pending.length > 50) this.pending.shift();
    setTimeout(() => {
      if (!p.message) {
        this.pending = this.pending.filter((x) => x !== p);
        p.resolve(null);
      }
    }, NO_TAP_MS + SETTLE_MS);
    return p;
  }

  /** The composer's emit: the `send` handler runs the scoped emit on the server. */
  sendFrom(c, entry, { event, args, scope, room, except }) {
    if (!entry?.socket.connected) {
      this.showProblem(`${c.name} is offline: reconnect it first.`);
      return Promise.resolve(null);
    }
    const body = { event, args, scope };
    if (scope === "room" || scope === "socket-room") {
      const rooms = Array.isArray(room) ? room : [room];
      if (rooms.length > 1) body.to = rooms; // several rooms at once: a socket in both gets it once
      else body.room = rooms[0];
    }
    if (scope === "except") body.except = except;
    const p = this.expectSend(c, entry, { event, args, scope, room, except });
    entry.socket.timeout(5000).emit("send", body, (err, res) => {
      if (err) {
        p.error = err.message;
      } else if (res?.error) {
        p.error = res.error;
      } else {
        p.ack = res; // its call/go say "…" for the arguments: the row keeps the call with them
      }
      if (p.error) {
        this.showProblem(`${c.name}'s emit failed: ${p.error}`);
        p.resolve(null);
      }
      if (p.message) this.update(p.message);
    });
    return p.done;
  }

  settle(m) {
    if (m.settled) return;
    m.settled = true;
    clearTimeout(m.settleTimer);
    clearTimeout(m.noTapTimer);
    this.settledCount++;
    this.section.dataset.settled = String(this.settledCount);
    this.update(m);
    if (m.send) m.send.resolve(m);
  }

  roleOf(m, c) {
    const sids = c.sids();
    const t = m.tap;
    const received = sids.some((s) => m.receivedSids.has(s));
    const sender = (t?.socket && sids.includes(t.socket)) || m.send?.sender === c.name;
    let excluded = false;
    if (t) {
      const except = new Set(t.except ?? []);
      for (const s of sids) {
        if (except.has(s)) excluded = true;
        for (const r of this.stateSockets.get(s)?.rooms ?? []) if (except.has(r)) excluded = true;
      }
    }
    let mismatch = "";
    if (t && m.settled) {
      const announced = sids.some((s) => t.recipients?.includes(s));
      if (announced && !received) mismatch = "the server sent it, the socket never got it";
      if (!announced && received) mismatch = "received, but the tap did not list it";
    }
    // The sender of a broadcast is left out too (its own room is in except); "sender" says it.
    return { received, sender: !!sender, excluded: excluded && !received && !sender, mismatch };
  }

  update(m) {
    this.dirty.add(m);
    this.schedule("messages");
    if (m.tap && !m.settled) {
      const local = (m.tap.recipients ?? []).filter((s) => this.bySid.has(s));
      if (local.every((s) => m.receivedSids.has(s))) this.settle(m);
    }
  }

  drawMessage(m) {
    const recipientNames = (ids) => ids.map((s) => this.nameOf(s));
    const receivedNames = [...m.receivedSids].map((s) => this.nameOf(s));
    const tapNames = m.tap ? recipientNames(m.tap.recipients ?? []) : null;
    const call = m.tap?.call ? { js: m.tap.call, go: m.tap.go ?? "" } : { js: `…emit(${q(m.event)})`, go: "" };
    if (m.send?.explain) call.js = `${m.send.explain} → the server runs ${call.js}`;
    const sender = m.send?.sender ?? (m.tap?.socket ? this.nameOf(m.tap.socket) : "server");
    const rooms = m.tap?.rooms?.length ? m.tap.rooms.map((r) => (this.stateSockets.has(r) || this.bySid.has(r) ? `${this.nameOf(r)}'s id` : r)).join(", ") : "—";
    const recipients = tapNames ?? receivedNames;
    const ack = m.send?.ack ? `acked by the server (sent to ${recipients.length})` : m.send?.error ? `error: ${m.send.error}` : m.tap?.ackId >= 0 ? `waits for ack #${m.tap.ackId}` : "—";

    if (!m.row) {
      m.cells = LOG_COLUMNS.map((_, i) => h("span", { role: "cell", class: i === 4 ? "demo-mono" : null }));
      m.row = h("div", { role: "row", class: "demo-log-row", "data-testid": "log-row", "data-kind": "message" }, m.cells);
      this.queueRow(m.row);
    }
    const more = (m.tap?.recipientCount ?? 0) - (m.tap?.recipients?.length ?? 0); // the tap lists the first 64
    const vals = [clock(m.time), `${m.event} ${payloadText(m)}`, names(recipients) + (tapNames && more > 0 ? ` and ${more} more` : ""), sender, call.js, rooms, m.nsp, ack];
    vals.forEach((v, i) => {
      if (m.cells[i].textContent !== v) m.cells[i].textContent = v;
    });
    if (m.row.isConnected) this.applyFilter(m.row);

    if (m !== this.current) return;
    // The "who got it" panel and the column roles show the latest message.
    const roles = this.clients.map((c) => [c, this.roleOf(m, c)]);
    for (const [c, r] of roles) {
      c.role = r;
      this.dirty.add(c);
    }
    const got = roles.filter(([, r]) => r.received).map(([c]) => c.name);
    const excluded = roles.filter(([, r]) => r.excluded).map(([c]) => c.name);
    const outside = (m.tap?.recipients ?? []).filter((s) => !this.bySid.has(s)).map((s) => this.nameOf(s));
    const lines = [
      h("p", { class: "demo-result-head" }, h("strong", {}, sender), ` emitted `, h("code", {}, m.event), m.args.length || m.preview != null ? ` with ${payloadText(m)}` : "",
        m.tap?.server ? h("span", { class: "demo-muted", "data-testid": "result-server" }, ` (seen by server ${m.tap.server})`) : null),
      h("p", { class: "demo-callline" }, h("span", { class: "demo-lang" }, "JS"), h("code", { class: "demo-call", "data-testid": "result-call" }, call.js)),
      call.go ? h("p", { class: "demo-callline" }, h("span", { class: "demo-lang" }, "Go"), h("code", { class: "demo-call", "data-testid": "result-call-go" }, call.go)) : null,
      h("ul", { class: "demo-result-list" },
        h("li", { "data-testid": "result-received" }, `${ICON.received} Received: ${names(got)}`),
        h("li", { "data-testid": "result-sender" }, `${ICON.sender} Sender: ${sender}`),
        excluded.length ? h("li", { "data-testid": "result-excluded" }, `${ICON.excluded} Excluded: ${excluded.join(", ")}`) : null,
        outside.length ? h("li", {}, `Also delivered to outside clients: ${outside.join(", ")}`) : null,
        m.settled ? h("li", { class: "demo-muted", "data-testid": "result-check" }, tapNames ? (sameSet(tapNames.filter((n) => this.clients.some((c) => c.name === n)), got) ? "Checked against the server's tap: it sent to exactly these." : `${ICON.warn} The server's tap lists ${names(tapNames)}.`) : "The server's tap did not report this message.") : null),
    ];
    setChildren(this.resultEl, lines);
    this.resultEl.dataset.settled = m.settled ? "true" : "false";
    const missed = roles.filter(([c, r]) => !r.received && !r.sender).map(([c]) => c.name);
    this.showStrip(`${ICON.received} Got ${q(m.event)}: ${names(got)}${missed.length ? ` · missed: ${missed.join(", ")}` : ""}`, "");
  }

  /**
   * The "who got it" strip: one line under the button that acted last (on a phone the columns
   * may be a screen away from it). It says who received the last message, or the problem.
   */
  showStrip(text, state) {
    const strip = this.stripEl;
    if (!strip) return;
    strip.textContent = text;
    strip.dataset.state = state;
    strip.hidden = false;
    const b = this.lastButton?.isConnected ? this.lastButton : null;
    const row = b?.closest(".demo-buttons, .demo-say, form, .demo-row") ?? null;
    const anchor = row && this.section.contains(row) ? row : this.columnsEl;
    if (strip.previousElementSibling !== anchor) anchor.after(strip);
  }

  /**
   * A composer error, where the result appears: the "who got it" panel shows it instead of the
   * previous message's success (and the status line says it too).
   */
  showProblem(text) {
    this.current = null; // a late tap for an earlier message must not paint over the error
    setChildren(this.resultEl, h("p", { class: "demo-result-error", "data-testid": "result-error" }, `${ICON.warn} ${text}`));
    this.resultEl.dataset.settled = "true";
    this.showStrip(`${ICON.warn} ${text}`, "error");
    this.setStatus(text);
  }

  logRow({ t, what, room = "", sender = "", ack = "—", kind }) {
    const row = h("div", { role: "row", class: "demo-log-row", "data-testid": "log-row", "data-kind": kind },
      [clock(t.time), what, "—", sender, t.kind, room || "—", t.nsp ?? "", ack].map((v) => h("span", { role: "cell" }, v)));
    this.queueRow(row);
  }

  queueRow(row) {
    if (this.paused) {
      this.heldRows.push(row);
      if (this.heldRows.length > MAX_LOG_ROWS) this.heldRows.splice(0, this.heldRows.length - MAX_LOG_ROWS);
      this.updateHeld();
      return;
    }
    this.rowQueue.push(row);
    this.schedule("rows");
  }

  // ----- one DOM pass per frame ---------------------------------------------------------------

  schedule(what) {
    this.dirty.add(what);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    const dirty = this.dirty;
    this.dirty = new Set();
    for (const x of dirty) if (typeof x === "object" && x.key !== undefined) this.drawMessage(x);
    for (const x of this.dirty) dirty.add(x); // drawMessage marks columns
    this.dirty = new Set();
    for (const x of dirty) if (x instanceof VClient && this.clients.includes(x)) this.drawClient(x);
    if (dirty.has("diagram")) this.drawDiagram();
    if (dirty.has("rows") && this.rowQueue.length) {
      let rows = this.rowQueue;
      this.rowQueue = [];
      if (rows.length > MAX_LOG_ROWS) rows = rows.slice(-MAX_LOG_ROWS);
      for (const r of rows) this.applyFilter(r);
      // Newest first: new rows go on top, the oldest fall off the bottom; no scrolling needed.
      this.logBody.prepend(...rows.reverse());
      let extra = this.logBody.childElementCount - MAX_LOG_ROWS;
      while (extra-- > 0) this.logBody.lastElementChild.remove();
    }
    if (dirty.has("console") && this.consoleQueue.length) {
      const lines = this.consoleQueue.splice(0);
      this.consoleEl.append(...lines.map((l) => l.program
        ? h("div", { class: "demo-console-line is-program is-" + l.level, "data-testid": "console-program" }, h("span", { class: "demo-console-tag" }, "server.js"), " ", l.text)
        : h("div", { class: "demo-console-line" }, l.text)));
      let extra = this.consoleEl.childElementCount - MAX_CONSOLE_LINES;
      while (extra-- > 0) this.consoleEl.firstElementChild.remove();
      this.consoleEl.scrollTop = this.consoleEl.scrollHeight;
    }
  }
}

function sameSet(a, b) {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

// ---------------------------------------------------------------------------------------------
// Start every demo on the page
// ---------------------------------------------------------------------------------------------

export function hydrate(root = document) {
  const started = [];
  const fresh = [];
  for (const section of root.querySelectorAll("section.demo[data-demo]")) {
    if (section.dataset.hydrated !== undefined) continue;
    section.dataset.hydrated = "";
    const w = new DemoWidget(section);
    widgets.push(w);
    fresh.push(w);
    if (section.hasAttribute("data-playground")) {
      started.push(import("./demo-playground.js").then((m) => m.startPlayground(w)));
    } else {
      started.push(w.start());
    }
  }
  if (root === document) wireExercises(root, fresh, addExerciseDemo);
  return Promise.all(started);
}

/**
 * A demo for an exercise on a page with no demo of its kind: added before the exercise, with the
 * exercise's clients, so the student has an editor and clients to try the code with.
 */
function addExerciseDemo(exercise, kind, clients) {
  const stage = h("div", { class: "demo-stage", "data-demo-stage": "" });
  const section = h("section", { class: "demo", "data-demo": kind, "data-demo-id": exercise.id ? exercise.id + "-demo" : null, "data-config": JSON.stringify({ clients: clients ?? [] }), "aria-label": "Demo for the exercise" }, stage);
  section.dataset.hydrated = "";
  exercise.before(section);
  const w = new DemoWidget(section);
  widgets.push(w);
  w.start();
  return w;
}

if (typeof document !== "undefined") {
  globalThis.socketlabDemos = widgets;
  addEventListener("pagehide", () => {
    for (const w of widgets) w.destroy();
  });
  hydrate();
}
