/**
 * sio.js: Socket Lab's own small browser client for Socket.IO v5 over Engine.IO v4.
 * A plain ES module: no bundler, no dependencies, no third-party code. The API follows
 * socket.io-client 4.x so lesson code reads the same as with the real client.
 *
 *   import { io } from "/static/js/sio.js";
 *   const socket = io("/orders", { path: "/play/ab12/socket.io/", auth: { token: "t" } });
 *   socket.on("connect", () => console.log(socket.id));
 *   socket.emit("hello", 1, (reply) => console.log(reply));
 *   const r = await socket.timeout(1000).emitWithAck("question");
 *
 * Supported
 * - io(url?, opts): the url's pathname selects the namespace ("/orders", "http://h:p/orders";
 *   none → "/"). Options: path (default "/socket.io/"), auth (object or function(cb)), query
 *   (object), transports (default ["polling", "websocket"]), upgrade (true), rememberUpgrade
 *   (false), tryAllTransports (false), withCredentials (false), extraHeaders (polling only, as in
 *   any browser), timestampRequests, reconnection (true), reconnectionAttempts
 *   (Infinity), reconnectionDelay (1000), reconnectionDelayMax (5000), randomizationFactor (0.5),
 *   timeout (20000 ms for the Engine.IO handshake; false = none), ackTimeout, autoConnect (true),
 *   forceNew / multiplex:false.
 * - Transports, as socket.io-client 4.8 (engine.io-client 6.6) does it: the handshake over HTTP
 *   long-polling (XMLHttpRequest: one GET held by the server, one POST at a time; payloads join
 *   packets with \x1e, binary as "b" + base64; POSTs kept within the server's maxPayload), then,
 *   for each upgrade the server offers, a probe: a WebSocket with the same sid, "2probe" sent,
 *   "3probe" back, engine "upgrading"; polling paused (its GET and POST finish), "5" sent over
 *   the WebSocket, engine "upgrade"(transport), and what was held meanwhile is flushed there. A
 *   failed probe emits "upgradeError" and polling carries on. transports: ["websocket"] opens a
 *   WebSocket straight away; rememberUpgrade does so once a WebSocket worked on this page.
 *   withCredentials sends cookies with cross-origin polling requests (same-origin ones always
 *   carry them). Closing sends "1" (close) over polling and aborts the GET still waiting once
 *   the server has it; no request or timer outlives a closed connection.
 * - Multiplexing: namespaces opened on the same origin + path share ONE Engine.IO connection
 *   (one Manager, `socket.io`) unless forceNew, or the namespace is already open on it.
 *   (As the real client does: its lookup() caches a Manager under origin + path, node/truth
 *   06-namespaces checks it; so two demo instances on one page, at two paths, never share one.
 *   socket.io-client keys by opts.path as given, "/socket.io" and "/socket.io/" apart; here
 *   both are "/socket.io/".)
 * - Socket: on/once/off/listeners/hasListeners, onAny/prependAny/offAny/listenersAny,
 *   onAnyOutgoing/offAnyOutgoing, emit(ev, ...args, ack?), send(...),
 *   timeout(ms).emit(..., (err, ...r)),
 *   emitWithAck (Promise; rejects on timeout or disconnect when a timeout applies), volatile.emit,
 *   compress() (accepted, no effect), connect()/open(), disconnect()/close(), id, connected,
 *   disconnected, active, recovered, io (the Manager).
 * - Events: connect, connect_error (err.message, err.data), disconnect(reason, description) with
 *   "io server disconnect", "io client disconnect", "ping timeout", "transport close",
 *   "transport error", "parse error".
 * - Manager (socket.io) events: open, close, error, ping, packet, reconnect_attempt(n),
 *   reconnect(n), reconnect_error(err), reconnect_failed. Reconnection uses exponential backoff
 *   (reconnectionDelay · 2^attempt, ± randomizationFactor jitter, capped at
 *   reconnectionDelayMax),
 *   never after a middleware refusal (CONNECT_ERROR), a server-side disconnect or disconnect().
 * - socket.io.engine (id, transport.name, readyState, transports, upgrades) emits handshake,
 *   upgrading, upgrade, upgradeError, and packet / packetCreate ({type, data}) for every
 *   Engine.IO packet in / out on its transport (not the probe's), so a page can show the wire.
 *   engine.id is the Engine.IO sid: sensitive (protocol.md §2.5), never display it to others.
 * - Acks both ways: a server event sent with an ack id gets a callback as last handler argument.
 * - Binary both ways: ArrayBuffer, typed arrays / DataView and Blob are sent as attachments
 *   (placeholders, nested too); received attachments are ArrayBuffer.
 * - Heartbeat: answers "2" with "3"; no ping within pingInterval + pingTimeout → "ping timeout".
 * - Emits while disconnected are buffered and flushed after the next "connect". Volatile ones are
 *   dropped while a polling POST is in flight, during the upgrade, when the WebSocket still has
 *   unsent bytes, and while a reconnection attempt is under way; right after a drop, before the
 *   next attempt, they are buffered like the others, as socket.io-client 4.8 does (its closed
 *   transport still reports writable).
 * - Connection state recovery: keeps the pid from the CONNECT reply and the last offset, sends
 *   both in the next CONNECT (merged with auth), sets socket.recovered. When the namespace got a
 *   pid, the trailing string argument of every EVENT without ack id is the server's offset and is
 *   removed before handlers (and onAny) run. (Caveat: socket.io 4.8 does not append an offset to
 *   volatile server emits; with recovery on, a volatile event's last string argument is stripped.)
 *
 * - A listener that throws is reported (reportError: console + window "error") and does not stop
 *   the other listeners or the client's own bookkeeping.
 *
 * Not supported
 * - WebTransport (socket.io-client lists "webtransport" third in its default transports; no
 *   socket.io server offers it unless configured to); transportOptions, forceBase64, the Node-only
 *   options (agent, cookie jar, TLS), closeOnBeforeunload, the "offline" event closing the
 *   connection; timestampParam (always "t").
 * - Options retries, parser, addTrailingSlash (the path always ends with "/").
 * - Outgoing packet queue with retries (socket.io-client's `retries`), compression control.
 * See docs/socketio-differences.md ("The page's client") for what behaves differently.
 */

const EIO_OPEN = "0";
const EIO_CLOSE = "1";
const EIO_PING = "2";
const EIO_PONG = "3";
const EIO_MESSAGE = "4";
const EIO_UPGRADE = "5";
const EIO_NOOP = "6";

/** Socket.IO v5 packet types. */
export const PacketType = Object.freeze({
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
});

/** The Socket.IO protocol revision this client speaks. */
export const protocol = 5;

const RESERVED_EVENTS = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

// A user handler that throws must not break the client's own state: report it like an uncaught
// error (console, window "error" event) and carry on with the next listener.
function reportListenerError(err) {
  if (typeof globalThis.reportError === "function") {
    globalThis.reportError(err);
  } else {
    setTimeout(() => {
      throw err;
    }, 0);
  }
}

/** Minimal event emitter with the component-emitter API used by socket.io-client. */
export class Emitter {
  #listeners = new Map();

  on(event, fn) {
    let list = this.#listeners.get(event);
    if (!list) {
      list = [];
      this.#listeners.set(event, list);
    }
    list.push(fn);
    return this;
  }

  addEventListener(event, fn) {
    return this.on(event, fn);
  }

  once(event, fn) {
    const wrapper = (...args) => {
      this.off(event, wrapper);
      fn.apply(this, args);
    };
    wrapper.original = fn;
    return this.on(event, wrapper);
  }

  off(event, fn) {
    if (event === undefined) {
      this.#listeners.clear();
      return this;
    }
    if (fn === undefined) {
      this.#listeners.delete(event);
      return this;
    }
    const list = this.#listeners.get(event);
    if (list) {
      const i = list.findIndex((h) => h === fn || h.original === fn);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#listeners.delete(event);
    }
    return this;
  }

  removeListener(event, fn) {
    return this.off(event, fn);
  }

  removeEventListener(event, fn) {
    return this.off(event, fn);
  }

  removeAllListeners(event) {
    return this.off(event);
  }

  listeners(event) {
    return [...(this.#listeners.get(event) ?? [])];
  }

  hasListeners(event) {
    return this.#listeners.has(event);
  }

  emit(event, ...args) {
    return this.emitReserved(event, ...args);
  }

  /** Calls the listeners of event (a snapshot, so listeners may unsubscribe while running). */
  emitReserved(event, ...args) {
    const list = this.#listeners.get(event);
    if (!list) return this;
    for (const fn of [...list]) {
      try {
        fn.apply(this, args);
      } catch (err) {
        reportListenerError(err);
      }
    }
    return this;
  }
}

function subscribe(target, event, fn) {
  target.on(event, fn);
  return () => target.off(event, fn);
}

// ---------------------------------------------------------------------------------------------
// Socket.IO v5 packet codec
// ---------------------------------------------------------------------------------------------

function isBinary(v) {
  return (
    v instanceof ArrayBuffer ||
    ArrayBuffer.isView(v) ||
    (typeof Blob !== "undefined" && v instanceof Blob)
  );
}

function isPlainObject(v) {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// Replaces every binary value inside data (nested in arrays and plain objects) with a
// placeholder and collects the binaries, in order, into out. Returns the rewritten copy.
function extractBinaries(data, out, seen = new Set()) {
  if (isBinary(data)) {
    out.push(data);
    return { _placeholder: true, num: out.length - 1 };
  }
  if (Array.isArray(data) || isPlainObject(data)) {
    if (seen.has(data)) throw new TypeError("sio: cannot encode a circular structure");
    seen.add(data);
    let copy;
    if (Array.isArray(data)) {
      copy = data.map((v) => extractBinaries(v, out, seen));
    } else {
      copy = {};
      for (const [k, v] of Object.entries(data)) copy[k] = extractBinaries(v, out, seen);
    }
    seen.delete(data);
    return copy;
  }
  return data;
}

function insertBinaries(data, buffers) {
  if (Array.isArray(data)) return data.map((v) => insertBinaries(v, buffers));
  if (data !== null && typeof data === "object") {
    if (data._placeholder === true) {
      const n = data.num;
      if (!Number.isInteger(n) || n < 0 || n >= buffers.length) {
        throw new Error("sio: illegal attachment placeholder");
      }
      return buffers[n];
    }
    const out = {};
    for (const [k, v] of Object.entries(data)) out[k] = insertBinaries(v, buffers);
    return out;
  }
  return data;
}

/**
 * Encodes a Socket.IO packet {type, nsp, id?, data?} into its text form followed by the binary
 * attachments (EVENT/ACK with binary data become BINARY_EVENT/BINARY_ACK).
 * @returns {[string, ...(ArrayBuffer|ArrayBufferView|Blob)[]]}
 */
export function encodePacket(packet) {
  let type = packet.type;
  let data = packet.data;
  const attachments = [];
  if (type === PacketType.EVENT || type === PacketType.ACK) {
    const rewritten = extractBinaries(data, attachments);
    if (attachments.length > 0) {
      data = rewritten;
      type = type === PacketType.EVENT ? PacketType.BINARY_EVENT : PacketType.BINARY_ACK;
    }
  }
  let text = String(type);
  if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
    text += attachments.length + "-";
  }
  if (packet.nsp && packet.nsp !== "/") text += packet.nsp + ",";
  if (packet.id !== undefined && packet.id !== null) text += String(packet.id);
  if (data !== undefined) text += JSON.stringify(data);
  return [text, ...attachments];
}

function isDigit(c) {
  return c >= "0" && c <= "9";
}

function payloadValid(type, data) {
  switch (type) {
    case PacketType.CONNECT:
      return data === undefined || isPlainObject(data);
    case PacketType.DISCONNECT:
      return data === undefined;
    case PacketType.CONNECT_ERROR:
      return typeof data === "string" || isPlainObject(data);
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT:
      return (
        Array.isArray(data) &&
        data.length > 0 &&
        (typeof data[0] === "number" ||
          (typeof data[0] === "string" && !RESERVED_EVENTS.has(data[0])))
      );
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      return Array.isArray(data);
    default:
      return false;
  }
}

/** Decodes the text part of a Socket.IO packet; throws Error on anything malformed. */
export function decodePacketText(str) {
  const type = str.charCodeAt(0) - 48;
  if (!(type >= 0 && type <= 6) || str.length === 0) {
    throw new Error("sio: unknown packet type");
  }
  const packet = { type, nsp: "/" };
  let i = 1;
  if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
    const dash = str.indexOf("-", i);
    const count = str.slice(i, dash);
    if (dash < 0 || count === "" || !/^\d+$/.test(count)) {
      throw new Error("sio: illegal attachments count");
    }
    packet.attachments = Number(count);
    i = dash + 1;
  }
  if (str[i] === "/") {
    const comma = str.indexOf(",", i);
    const end = comma < 0 ? str.length : comma;
    packet.nsp = str.slice(i, end);
    i = comma < 0 ? str.length : comma + 1;
  }
  const idStart = i;
  while (i < str.length && isDigit(str[i])) i++;
  if (i > idStart) packet.id = Number(str.slice(idStart, i));
  if (i < str.length) {
    try {
      packet.data = JSON.parse(str.slice(i));
    } catch {
      throw new Error("sio: invalid JSON payload");
    }
  }
  if (!payloadValid(type, packet.data)) throw new Error("sio: invalid payload");
  return packet;
}

/**
 * Reassembles Socket.IO packets from Engine.IO messages: add() returns the complete packet, or
 * null while attachments are still expected; it throws on protocol errors.
 */
export class Decoder {
  #pending = null;
  #buffers = [];

  add(message) {
    if (typeof message === "string") {
      if (this.#pending) throw new Error("sio: got text while waiting for attachments");
      const packet = decodePacketText(message);
      if (packet.attachments > 0) {
        this.#pending = packet;
        this.#buffers = [];
        return null;
      }
      if (packet.attachments === 0) packet.data = insertBinaries(packet.data, []);
      delete packet.attachments;
      return packet;
    }
    if (!this.#pending) throw new Error("sio: got binary data without a binary packet");
    this.#buffers.push(message);
    if (this.#buffers.length < this.#pending.attachments) return null;
    const packet = this.#pending;
    packet.data = insertBinaries(packet.data, this.#buffers);
    delete packet.attachments;
    this.reset();
    return packet;
  }

  reset() {
    this.#pending = null;
    this.#buffers = [];
  }
}

// ---------------------------------------------------------------------------------------------
// Engine.IO v4: HTTP long-polling, WebSocket, and the upgrade from one to the other
// ---------------------------------------------------------------------------------------------

function normalizePath(path) {
  let p = path || "/socket.io/";
  if (!p.startsWith("/")) p = "/" + p;
  if (!p.endsWith("/")) p += "/";
  return p;
}

// Like engine.io-client's randomString: the cache-busting "t" parameter of polling requests.
function randomString() {
  return Date.now().toString(36).substring(3) + Math.random().toString(36).substring(2, 5);
}

/** The URL of one Engine.IO request: origin + path, the user's query, EIO=4, transport, sid. */
function engineURL(origin, opts, transport, sid) {
  const url = new URL(normalizePath(opts.path), origin);
  const secure = url.protocol === "https:" || url.protocol === "wss:";
  if (transport === "websocket") url.protocol = secure ? "wss:" : "ws:";
  else url.protocol = secure ? "https:" : "http:";
  const query = opts.query;
  const params = new URLSearchParams(typeof query === "string" ? query : undefined);
  if (query && typeof query === "object") {
    for (const [k, v] of Object.entries(query)) params.set(k, String(v));
  }
  params.set("EIO", "4");
  params.set("transport", transport);
  if (transport === "polling" && opts.timestampRequests !== false) params.set("t", randomString());
  if (sid) params.set("sid", sid);
  url.search = params.toString();
  return url.href;
}

const EIO_NAMES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];
const EIO_CODES = Object.fromEntries(EIO_NAMES.map((name, i) => [name, String(i)]));
const RECORD_SEPARATOR = "\x1e";

function transportError(message, description, context) {
  const err = new Error(message);
  err.type = "TransportError";
  err.description = description;
  if (context !== undefined) err.context = context;
  return err;
}

function toBytes(data) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function base64Encode(data) {
  const bytes = toBytes(data);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

function base64Decode(text) {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes.buffer;
}

/** Decodes one Engine.IO packet of a polling payload: "4hello", "2", "bAQID" (binary message). */
function decodePollingPacket(text) {
  if (text.charAt(0) === "b") {
    try {
      return { type: "message", data: base64Decode(text.slice(1)) };
    } catch {
      return null;
    }
  }
  const type = EIO_NAMES[text.charAt(0)];
  if (type === undefined) return null;
  return text.length > 1 ? { type, data: text.slice(1) } : { type };
}

/** Encodes one packet for a polling payload; binary becomes "b" + base64 (Blobs read first). */
async function encodePollingPacket(packet) {
  let data = packet.data;
  if (typeof Blob !== "undefined" && data instanceof Blob) data = await data.arrayBuffer();
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return "b" + base64Encode(data);
  return EIO_CODES[packet.type] + (data ?? "");
}

// The UTF-8 size of a string, as engine.io-client's byteLength counts it for maxPayload.
function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c < 0xd800 || c >= 0xe000) n += 3;
    else {
      i++;
      n += 4;
    }
  }
  return n;
}

function packetSize(data) {
  if (typeof data === "string") return utf8Length(data);
  const len = data.byteLength ?? data.size ?? 0;
  return Math.ceil(len * 1.33); // base64, as engine.io-client estimates it
}

/**
 * One transport of an Engine.IO session. Events: open, packet ({type, data}), drain (the last
 * send has left), error (err), close (description). readyState: opening, open, pausing, paused,
 * closed. writable: send() may be called now.
 */
class Transport extends Emitter {
  constructor(origin, opts, sid) {
    super();
    this.origin = origin;
    this.opts = opts;
    this.sid = sid;
    this.readyState = "closed";
    this.writable = false;
  }

  _onOpen() {
    this.readyState = "open";
    this.writable = true;
    this.emitReserved("open");
  }

  _onError(message, description, context) {
    if (this.readyState === "closed") return;
    this.emitReserved("error", transportError(message, description, context));
  }

  _onClose(description) {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    // writable is left as it was, as engine.io-client does: a transport that closed between two
    // writes still says it is writable, and socket.io-client buffers a volatile emit made before
    // the next attempt replaces the engine (Socket.emit).
    this._stop();
    this.emitReserved("close", description);
  }

  /** Closes the transport (without a "close" event: the session reports its own close). */
  close() {
    this.discard();
  }

  /** Stops the transport without a word to the server (a failed probe, a replaced transport). */
  discard() {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.writable = false;
    this._stop();
  }
}

/**
 * HTTP long-polling: one GET at a time waits for what the server has to say; what the client
 * writes goes in one POST at a time. Payloads join packets with the record separator \x1e, binary
 * as "b" + base64. Closing sends a "1" (close) POST and aborts the GET still waiting.
 */
class PollingTransport extends Transport {
  name = "polling";
  #poll = null; // the XMLHttpRequest of the GET in flight
  #post = null; // the XMLHttpRequest of the POST in flight
  #polling = false;

  open() {
    this.readyState = "opening";
    this.#doPoll();
  }

  #request(method, body, onLoad, onError) {
    const xhr = new XMLHttpRequest();
    xhr.open(method, engineURL(this.origin, this.opts, "polling", this.sid), true);
    const headers = this.opts.extraHeaders;
    if (headers && typeof headers === "object") {
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    }
    if (method === "POST") xhr.setRequestHeader("Content-type", "text/plain;charset=UTF-8");
    xhr.setRequestHeader("Accept", "*/*");
    xhr.withCredentials = !!this.opts.withCredentials;
    xhr.onload = () => {
      if (xhr.status === 200) onLoad(xhr.responseText);
      else onError(xhr.status, xhr);
    };
    xhr.onerror = () => onError(xhr.status, xhr);
    xhr.send(body);
    return xhr;
  }

  #doPoll() {
    this.#polling = true;
    this.#poll = this.#request(
      "GET",
      null,
      (text) => {
        this.#poll = null;
        this.#onData(text);
      },
      (status, xhr) => {
        this.#poll = null;
        this._onError("xhr poll error", status, xhr);
      },
    );
  }

  #onData(payload) {
    for (const text of payload.split(RECORD_SEPARATOR)) {
      if (this.readyState === "closed") return;
      const packet = decodePollingPacket(text);
      if (!packet) return this._onError("parse error", payload);
      if (this.readyState === "opening" && packet.type === "open") this._onOpen();
      if (packet.type === "close") return this._onClose("transport closed by the server");
      this.emitReserved("packet", packet);
    }
    if (this.readyState === "closed") return;
    this.#polling = false;
    this.emitReserved("pollComplete");
    if (this.readyState === "open") this.#doPoll();
  }

  /** POSTs packets ([{type, data}]) as one payload; "drain" when the server has taken it. */
  send(packets) {
    this.writable = false;
    Promise.all(packets.map(encodePollingPacket)).then(
      (parts) => {
        if (this.readyState === "closed") return;
        this.#post = this.#request(
          "POST",
          parts.join(RECORD_SEPARATOR),
          () => {
            this.#post = null;
            this.writable = true;
            this.emitReserved("drain");
          },
          (status, xhr) => {
            this.#post = null;
            this._onError("xhr post error", status, xhr);
          },
        );
      },
      (err) => this._onError("xhr post error", err),
    );
  }

  /** Lets the GET and the POST in flight finish, then stops polling (for the upgrade). */
  pause(onPause) {
    this.readyState = "pausing";
    let waits = 0;
    const done = () => {
      if (--waits > 0 || this.readyState !== "pausing") return;
      this.readyState = "paused";
      onPause();
    };
    if (this.#polling) {
      waits++;
      this.once("pollComplete", done);
    }
    if (!this.writable) {
      waits++;
      this.once("drain", done);
    }
    if (waits === 0) {
      waits = 1;
      done();
    }
  }

  close() {
    if (this.readyState === "open" || this.readyState === "pausing" || this.readyState === "paused") {
      // Tell the server, then drop the GET still waiting (once the close POST has settled, so
      // that the server reads "transport close", not a poll cut short).
      const poll = this.#poll;
      this.#poll = null;
      this.readyState = "closed";
      this.writable = false;
      this.#abort(this.#post);
      this.#post = null;
      const stop = () => this.#abort(poll);
      this.#request("POST", EIO_CODES.close, stop, stop);
      return;
    }
    this.discard();
  }

  #abort(xhr) {
    if (!xhr) return;
    xhr.onload = null;
    xhr.onerror = null;
    xhr.abort();
  }

  _stop() {
    this.#abort(this.#poll);
    this.#abort(this.#post);
    this.#poll = null;
    this.#post = null;
    this.#polling = false;
  }
}

/** WebSocket: one frame per Engine.IO packet; text "<type><data>", binary messages as-is. */
class WebSocketTransport extends Transport {
  name = "websocket";
  ws = null;

  open() {
    this.readyState = "opening";
    try {
      this.ws = new WebSocket(engineURL(this.origin, this.opts, "websocket", this.sid));
    } catch (err) {
      setTimeout(() => this._onError("websocket error", err), 0);
      return;
    }
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => this._onOpen();
    this.ws.onmessage = (ev) => this.#onMessage(ev.data);
    this.ws.onerror = (ev) => this._onError("websocket error", ev);
    this.ws.onclose = (ev) =>
      this._onClose({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
  }

  #onMessage(data) {
    if (this.readyState === "closed") return;
    if (typeof data !== "string") {
      this.emitReserved("packet", { type: "message", data });
      return;
    }
    const type = EIO_NAMES[data.charAt(0)];
    if (type === undefined) return this._onError("parse error", data);
    this.emitReserved("packet", data.length > 1 ? { type, data: data.slice(1) } : { type });
  }

  /** True when nothing is queued in the browser either (volatile emits need this). */
  get idle() {
    return this.writable && this.ws.bufferedAmount === 0;
  }

  send(packets) {
    for (const p of packets) {
      const d = p.data;
      const binary = d !== undefined && typeof d !== "string";
      try {
        this.ws.send(binary ? d : EIO_CODES[p.type] + (d ?? ""));
      } catch (err) {
        return this._onError("websocket error", err);
      }
    }
    this.emitReserved("drain");
  }

  _stop() {
    const ws = this.ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
      try {
        ws.close();
      } catch {
        // already closing; nothing to do
      }
    }
  }
}

const TRANSPORTS = { polling: PollingTransport, websocket: WebSocketTransport };

/**
 * One Engine.IO v4 session, like engine.io-client's Socket: it opens with the first of
 * opts.transports (default polling, then websocket), and from polling probes every upgrade the
 * server offers ("2probe" / "3probe" on a WebSocket, polling paused and drained, "5"), then
 * carries on over the WebSocket. Events: open, handshake, data (string or ArrayBuffer), ping,
 * upgrading / upgrade (transport) / upgradeError (err), drain, error (before "close"),
 * close(reason, description); and packet / packetCreate ({type, data}) for every Engine.IO
 * packet received / sent on the session's transport, so a page can show the wire.
 */
export class Engine extends Emitter {
  /** rememberUpgrade: a WebSocket worked before on this page (engine.io-client's static). */
  static priorWebsocketSuccess = false;

  constructor(origin, opts = {}) {
    super();
    this.origin = origin;
    this.opts = opts;
    this.transports = Array.isArray(opts.transports) ? [...opts.transports] : ["polling", "websocket"];
    this.upgrade = opts.upgrade !== false;
    this.readyState = "opening";
    this.id = null;
    this.pingInterval = 0;
    this.pingTimeout = 0;
    this.maxPayload = 0;
    this.upgrades = [];
    this.upgrading = false;
    this.writeBuffer = [];
    this.transport = null;
    this._pingTimer = null;
    this._pingDeadline = 0;
    this._open();
  }

  _open() {
    const names = this.transports.filter((t) => t in TRANSPORTS);
    if (names.length === 0) {
      // Like engine.io-client: an "error" with a plain string, on the next tick.
      setTimeout(() => this.emitReserved("error", "No transports available"), 0);
      this.transport = { name: this.transports[0], writable: false, close() {} };
      return;
    }
    const name =
      this.opts.rememberUpgrade && Engine.priorWebsocketSuccess && names.includes("websocket")
        ? "websocket"
        : names[0];
    this.readyState = "opening";
    const transport = this._createTransport(name);
    this._setTransport(transport);
    transport.open();
  }

  _createTransport(name) {
    return new TRANSPORTS[name](this.origin, this.opts, this.id);
  }

  _setTransport(transport) {
    for (const stop of this._transportSubs ?? []) stop();
    this.transport = transport;
    this._transportSubs = [
      subscribe(transport, "drain", () => this._onDrain()),
      subscribe(transport, "packet", (p) => this._onPacket(p)),
      subscribe(transport, "error", (err) => this._onError(err)),
      subscribe(transport, "close", (description) => this._onClose("transport close", description)),
    ];
  }

  /** True while messages are accepted (written now, or as soon as the transport can). */
  get writable() {
    return this.readyState === "open";
  }

  /** Nothing waiting anywhere: a volatile emit may go (it is dropped otherwise). */
  get idle() {
    const t = this.transport;
    return (
      this.readyState === "open" &&
      !this.upgrading &&
      this.writeBuffer.length === 0 &&
      t.writable &&
      (t.idle ?? true)
    );
  }

  /** Sends one Engine.IO message (text, or binary data): now, or after what is already queued. */
  write(message) {
    return this._sendPacket("message", message);
  }

  _sendPacket(type, data) {
    if (this.readyState === "closing" || this.readyState === "closed") return false;
    this._tap("packetCreate", type, data);
    this.writeBuffer.push(data === undefined ? { type } : { type, data });
    this.flush();
    return true;
  }

  flush() {
    const t = this.transport;
    if (this.readyState === "closed" || !t?.writable || this.upgrading || this.writeBuffer.length === 0) {
      return;
    }
    const packets = this._writablePackets();
    this.writeBuffer = this.writeBuffer.slice(packets.length);
    t.send(packets);
  }

  // Polling payloads stay within the server's maxPayload (as engine.io-client counts it).
  _writablePackets() {
    const buf = this.writeBuffer;
    if (!this.maxPayload || this.transport.name !== "polling" || buf.length < 2) return buf;
    let size = 1;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i].data !== undefined) size += packetSize(buf[i].data);
      if (i > 0 && size > this.maxPayload) return buf.slice(0, i);
      size += 2;
    }
    return buf;
  }

  _onDrain() {
    if (this.writeBuffer.length === 0) this.emitReserved("drain");
    else this.flush();
  }

  _tap(event, type, data) {
    if (this.hasListeners(event)) {
      this.emitReserved(event, data === undefined || data === "" ? { type } : { type, data });
    }
  }

  /** True (and closes with "ping timeout" soon) when the server has been silent too long. */
  hasPingExpired() {
    if (this._pingDeadline === 0 || Date.now() <= this._pingDeadline) return false;
    this._pingDeadline = 0;
    setTimeout(() => this._onClose("ping timeout"), 0);
    return true;
  }

  /**
   * Closes the session: what is queued is sent first, an upgrade under way is let finish, then
   * the transport closes (polling tells the server with a "1").
   */
  close() {
    if (this.readyState !== "opening" && this.readyState !== "open") return this;
    this.readyState = "closing";
    const close = () => this._onClose("forced close");
    const afterUpgrade = () => {
      this.off("upgrade", afterUpgrade);
      this.off("upgradeError", afterUpgrade);
      close();
    };
    const waitForUpgrade = () => {
      this.once("upgrade", afterUpgrade);
      this.once("upgradeError", afterUpgrade);
    };
    if (this.writeBuffer.length > 0 || (this.transport.name === "polling" && !this.transport.writable && this.id)) {
      this.once("drain", () => (this.upgrading ? waitForUpgrade() : close()));
    } else if (this.upgrading) {
      waitForUpgrade();
    } else {
      close();
    }
    return this;
  }

  _onPacket(p) {
    if (this.readyState !== "opening" && this.readyState !== "open" && this.readyState !== "closing") {
      return;
    }
    this._tap("packet", p.type, p.data);
    if (this.readyState === "opening") {
      if (p.type !== "open") return this._fail(transportError("expected an open packet", p.data));
      return this._onHandshake(p.data);
    }
    switch (p.type) {
      case "ping":
        this._armPingTimer();
        this._sendPacket("pong", p.data);
        this.emitReserved("ping");
        break;
      case "message":
        this.emitReserved("data", p.data);
        break;
      case "close":
        this._onClose("transport close", "closed by the server");
        break;
      case "pong":
      case "noop":
        break;
      default:
        this._fail(transportError("unexpected packet", p.type));
    }
  }

  _onHandshake(json) {
    let hs;
    try {
      hs = JSON.parse(json);
    } catch {
      hs = null;
    }
    if (
      !hs ||
      typeof hs.sid !== "string" ||
      typeof hs.pingInterval !== "number" ||
      typeof hs.pingTimeout !== "number"
    ) {
      return this._fail(transportError("invalid handshake", json));
    }
    this.emitReserved("handshake", hs);
    this.id = hs.sid;
    this.transport.sid = hs.sid;
    this.upgrades = (Array.isArray(hs.upgrades) ? hs.upgrades : []).filter(
      (u) => this.transports.includes(u) && u in TRANSPORTS,
    );
    this.pingInterval = hs.pingInterval;
    this.pingTimeout = hs.pingTimeout;
    this.maxPayload = hs.maxPayload;
    this.readyState = "open";
    Engine.priorWebsocketSuccess = this.transport.name === "websocket";
    this.emitReserved("open");
    if (this.readyState !== "open") return;
    this.flush();
    if (this.upgrade && this.transport.name === "polling") {
      for (const name of this.upgrades) this._probe(name);
    }
    if (this.readyState !== "closed") this._armPingTimer();
  }

  // Tries the upgrade to transport `name`: "2probe" over it, "3probe" back; then polling is
  // paused (its GET and POST finish), "5" goes over the new transport, and writing resumes there.
  _probe(name) {
    let probe = this._createTransport(name);
    let failed = false;
    Engine.priorWebsocketSuccess = false;
    const subs = [];
    const cleanup = () => {
      for (const stop of subs.splice(0)) stop();
    };
    const freeze = () => {
      if (failed) return;
      failed = true;
      cleanup();
      probe.close();
      probe = null;
    };
    const onError = (err) => {
      if (failed) return;
      const e = new Error("probe error: " + (err?.message ?? err));
      e.transport = probe.name;
      freeze();
      this.emitReserved("upgradeError", e);
    };
    subs.push(
      subscribe(probe, "open", () => {
        if (failed) return;
        probe.send([{ type: "ping", data: "probe" }]);
        const stopPacket = subscribe(probe, "packet", (msg) => {
          stopPacket();
          if (failed) return;
          if (msg.type !== "pong" || msg.data !== "probe") {
            const e = new Error("probe error");
            e.transport = probe.name;
            this.emitReserved("upgradeError", e);
            return;
          }
          this.upgrading = true;
          this.emitReserved("upgrading", probe);
          if (!probe) return;
          Engine.priorWebsocketSuccess = probe.name === "websocket";
          this.transport.pause(() => {
            if (failed || this.readyState === "closed") return;
            cleanup();
            const old = this.transport;
            this._setTransport(probe);
            old.discard(); // paused: nothing in flight; the server retires it on the "5"
            probe.send([{ type: "upgrade" }]);
            this.emitReserved("upgrade", probe);
            probe = null;
            this.upgrading = false;
            this.flush();
          });
        });
        subs.push(stopPacket);
      }),
      subscribe(probe, "error", onError),
      subscribe(probe, "close", () => onError(new Error("transport closed"))),
      subscribe(this, "close", () => onError(new Error("socket closed"))),
      subscribe(this, "upgrading", (to) => {
        if (probe && to.name !== probe.name) freeze();
      }),
    );
    probe.open();
  }

  _armPingTimer() {
    clearTimeout(this._pingTimer);
    const wait = this.pingInterval + this.pingTimeout;
    this._pingDeadline = Date.now() + wait;
    this._pingTimer = setTimeout(() => this._onClose("ping timeout"), wait);
  }

  _onError(err) {
    if (this.readyState === "closed") return;
    Engine.priorWebsocketSuccess = false;
    if (this.opts.tryAllTransports && this.transports.length > 1 && this.readyState === "opening") {
      this.transport.close();
      this.transports.shift();
      return this._open();
    }
    this._fail(err);
  }

  _fail(err) {
    if (this.readyState === "closed") return;
    this.emitReserved("error", err);
    this._onClose("transport error", err);
  }

  _onClose(reason, description) {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    clearTimeout(this._pingTimer);
    this._pingDeadline = 0;
    for (const stop of this._transportSubs ?? []) stop();
    this._transportSubs = [];
    this.transport?.close();
    this.writeBuffer = [];
    this.upgrading = false;
    this.emitReserved("close", reason, description);
  }
}

// ---------------------------------------------------------------------------------------------
// Manager: one Engine.IO connection, reconnection, the namespaces multiplexed on it
// ---------------------------------------------------------------------------------------------

/** Exponential backoff with jitter: min·2^n, ± jitter·that at random, capped at max. */
export class Backoff {
  constructor({ min = 1000, max = 5000, jitter = 0.5 } = {}) {
    this.min = min;
    this.max = max;
    this.jitter = jitter;
    this.attempts = 0;
  }

  duration() {
    let ms = this.min * 2 ** this.attempts;
    this.attempts++;
    if (this.jitter > 0) {
      const spread = ms * Math.min(this.jitter, 1) * Math.random();
      ms = Math.random() < 0.5 ? ms - spread : ms + spread;
    }
    return Math.floor(Math.max(0, Math.min(ms, this.max)));
  }

  reset() {
    this.attempts = 0;
  }
}

function option(v, fallback) {
  return v === undefined || v === null ? fallback : v;
}

export class Manager extends Emitter {
  /**
   * @param {string} origin e.g. "http://127.0.0.1:8080"
   * @param {object} opts see the module comment
   */
  constructor(origin, opts = {}) {
    super();
    this.uri = origin;
    this.opts = { ...opts, path: normalizePath(opts.path) };
    this.nsps = {};
    this.subs = [];
    this.engine = null;
    this.decoder = new Decoder();
    this._readyState = "closed";
    this._reconnecting = false;
    this.skipReconnect = false;
    this._reconnection = opts.reconnection !== false;
    this._reconnectionAttempts = option(opts.reconnectionAttempts, Infinity);
    this._timeout = option(opts.timeout, 20000);
    this._autoConnect = opts.autoConnect !== false;
    this.backoff = new Backoff({
      min: option(opts.reconnectionDelay, 1000),
      max: option(opts.reconnectionDelayMax, 5000),
      jitter: option(opts.randomizationFactor, 0.5),
    });
    this._reconnectTimer = null;
    this._openTimer = null;
  }

  reconnection(v) {
    if (v === undefined) return this._reconnection;
    this._reconnection = !!v;
    if (!v) this.skipReconnect = true;
    return this;
  }

  reconnectionAttempts(v) {
    if (v === undefined) return this._reconnectionAttempts;
    this._reconnectionAttempts = v;
    return this;
  }

  reconnectionDelay(v) {
    if (v === undefined) return this.backoff.min;
    this.backoff.min = v;
    return this;
  }

  reconnectionDelayMax(v) {
    if (v === undefined) return this.backoff.max;
    this.backoff.max = v;
    return this;
  }

  randomizationFactor(v) {
    if (v === undefined) return this.backoff.jitter;
    this.backoff.jitter = v;
    return this;
  }

  timeout(v) {
    if (v === undefined) return this._timeout;
    this._timeout = v;
    return this;
  }

  /** Opens the Engine.IO connection unless it is open or opening; fn(err?) when settled. */
  open(fn) {
    if (this._readyState === "open" || this._readyState === "opening") return this;
    this.engine = new Engine(this.uri, this.opts);
    const engine = this.engine;
    this._readyState = "opening";
    this.skipReconnect = false;
    const stopOpen = subscribe(engine, "open", () => {
      this._clearOpenTimer();
      stopOpen();
      stopError();
      this._onOpen();
      if (fn) fn();
    });
    const stopError = subscribe(engine, "error", (err) => {
      this._clearOpenTimer();
      stopOpen();
      stopError();
      this._cleanup();
      this._readyState = "closed";
      engine.close();
      this.emitReserved("error", err);
      if (fn) fn(err);
      else this._maybeReconnectOnOpen();
    });
    // The engine reports a socket closed before the handshake as "close" without "error".
    const stopEarlyClose = subscribe(engine, "close", (reason, description) => {
      stopEarlyClose();
      if (this.engine === engine && this._readyState === "opening") {
        engine.emitReserved("error", transportError(reason, description));
      }
    });
    this.subs.push(stopOpen, stopError, stopEarlyClose);
    if (this._timeout !== false) {
      this._openTimer = setTimeout(() => {
        this._openTimer = null;
        stopOpen();
        stopEarlyClose();
        const err = new Error("timeout");
        engine.emitReserved("error", err);
      }, this._timeout);
    }
    return this;
  }

  connect(fn) {
    return this.open(fn);
  }

  _clearOpenTimer() {
    clearTimeout(this._openTimer);
    this._openTimer = null;
  }

  _onOpen() {
    this._cleanup();
    this._readyState = "open";
    const engine = this.engine;
    this.subs.push(
      subscribe(engine, "ping", () => this.emitReserved("ping")),
      subscribe(engine, "data", (data) => this._onData(data)),
      subscribe(engine, "error", (err) => this.emitReserved("error", err)),
      subscribe(engine, "close", (reason, description) => this._onClose(reason, description)),
    );
    this.emitReserved("open");
  }

  _onData(data) {
    let packet;
    try {
      packet = this.decoder.add(data);
    } catch (err) {
      const engine = this.engine;
      this._onClose("parse error", err);
      engine.close();
      return;
    }
    if (packet) this.emitReserved("packet", packet);
  }

  /** Returns the Socket for namespace nsp on this connection, creating it once. */
  socket(nsp, opts) {
    let socket = this.nsps[nsp];
    if (!socket) {
      socket = new Socket(this, nsp, opts);
      this.nsps[nsp] = socket;
    } else if (this._autoConnect && !socket.active) {
      socket.connect();
    }
    return socket;
  }

  // Called when a socket stops being active; the connection closes once none is left.
  _destroy() {
    for (const socket of Object.values(this.nsps)) {
      if (socket.active) return;
    }
    this._close();
  }

  _packet(packet) {
    if (!this.engine) return;
    for (const part of encodePacket(packet)) this.engine.write(part);
  }

  _cleanup() {
    for (const stop of this.subs) stop();
    this.subs = [];
    this.decoder.reset();
  }

  _close() {
    this.skipReconnect = true;
    this._reconnecting = false;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    this._clearOpenTimer();
    const engine = this.engine;
    this._onClose("forced close");
    if (engine) engine.close();
  }

  disconnect() {
    return this._close();
  }

  _onClose(reason, description) {
    this._cleanup();
    this._clearOpenTimer();
    this.backoff.reset();
    this._readyState = "closed";
    this.emitReserved("close", reason, description);
    if (this._reconnection && !this.skipReconnect) this._reconnect();
  }

  _maybeReconnectOnOpen() {
    if (!this._reconnecting && this._reconnection && this.backoff.attempts === 0) {
      this._reconnect();
    }
  }

  _reconnect() {
    if (this._reconnecting || this.skipReconnect) return;
    if (this.backoff.attempts >= this._reconnectionAttempts) {
      this.backoff.reset();
      this._reconnecting = false;
      this.emitReserved("reconnect_failed");
      return;
    }
    const delay = this.backoff.duration();
    this._reconnecting = true;
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      if (this.skipReconnect) return;
      this.emitReserved("reconnect_attempt", this.backoff.attempts);
      if (this.skipReconnect) return;
      this.open((err) => {
        if (err) {
          this._reconnecting = false;
          this._reconnect();
          this.emitReserved("reconnect_error", err);
        } else {
          const attempt = this.backoff.attempts;
          this._reconnecting = false;
          this.backoff.reset();
          this.emitReserved("reconnect", attempt);
        }
      });
    }, delay);
  }
}

// ---------------------------------------------------------------------------------------------
// Socket: one namespace on a Manager
// ---------------------------------------------------------------------------------------------

export class Socket extends Emitter {
  constructor(io, nsp, opts = {}) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.id = undefined;
    this.connected = false;
    this.recovered = false;
    this.auth = opts.auth;
    this.receiveBuffer = [];
    this.sendBuffer = [];
    this.ids = 0;
    this.acks = {};
    this.flags = {};
    this.subs = undefined;
    this._opts = { ...opts };
    this._pid = undefined;
    this._lastOffset = undefined;
    this._anyListeners = [];
    this._anyOutgoingListeners = [];
    if (io._autoConnect) this.open();
  }

  get disconnected() {
    return !this.connected;
  }

  /** True while the socket wants to be connected (it will reconnect after a drop). */
  get active() {
    return !!this.subs;
  }

  /** Sets the volatile flag for the next emit: dropped unless it can be sent right now. */
  get volatile() {
    this.flags.volatile = true;
    return this;
  }

  _subEvents() {
    if (this.subs) return;
    const io = this.io;
    this.subs = [
      subscribe(io, "open", () => this._onOpen()),
      subscribe(io, "packet", (p) => this._onPacket(p)),
      subscribe(io, "error", (err) => this._onError(err)),
      subscribe(io, "close", (reason, description) => this._onClose(reason, description)),
    ];
  }

  connect() {
    if (this.connected) return this;
    this._subEvents();
    if (!this.io._reconnecting) this.io.open();
    if (this.io._readyState === "open") this._onOpen();
    return this;
  }

  open() {
    return this.connect();
  }

  send(...args) {
    return this.emit("message", ...args);
  }

  /**
   * Emits ev to the server. A trailing function argument is the ack callback; with
   * timeout(ms) (or the ackTimeout option) it is called as (err, ...response).
   */
  emit(ev, ...args) {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${String(ev)}" is a reserved event name`);
    const data = [ev, ...args];
    const packet = { type: PacketType.EVENT, data };
    const flags = this.flags;
    this.flags = {};
    if (typeof data[data.length - 1] === "function") {
      const id = this.ids++;
      this._registerAck(id, data.pop(), flags.timeout);
      packet.id = id;
    }
    // "connected" here also means the bytes can go out now; otherwise buffer until the next
    // "connect" (a WebSocket already closing will report its close and we reconnect).
    const engine = this.io.engine;
    const ready = this.connected && engine !== null && engine.writable && !engine.hasPingExpired();
    if (flags.volatile) {
      // Dropped unless it can leave right now (like socket.io-client, an ack registered for a
      // dropped volatile emit only ends by its timeout or the next disconnect). One exception,
      // socket.io-client's: while disconnected, the closed transport of the lost connection still
      // says it is writable until the next attempt replaces the engine, and then it is buffered.
      if (ready && engine.idle) {
        this._notifyOutgoing(packet);
        this._packet(packet);
      } else if (!ready && engine?.transport?.writable) {
        this.sendBuffer.push(packet);
      }
    } else if (ready) {
      this._notifyOutgoing(packet);
      this._packet(packet);
    } else {
      this.sendBuffer.push(packet);
    }
    return this;
  }

  _registerAck(id, ack, flagTimeout) {
    const timeout = flagTimeout ?? this._opts.ackTimeout;
    if (timeout === undefined) {
      this.acks[id] = ack;
      return;
    }
    const timer = setTimeout(() => {
      delete this.acks[id];
      this.sendBuffer = this.sendBuffer.filter((p) => p.id !== id);
      ack.call(this, new Error("operation has timed out"));
    }, timeout);
    const wrapped = (...args) => {
      clearTimeout(timer);
      ack.apply(this, args);
    };
    wrapped.withError = true;
    this.acks[id] = wrapped;
  }

  /** Like emit with an ack callback, as a Promise of the first response argument. */
  emitWithAck(ev, ...args) {
    const withError = this.flags.timeout !== undefined || this._opts.ackTimeout !== undefined;
    return new Promise((resolve, reject) => {
      args.push((first, second) => {
        if (!withError) return resolve(first);
        return first ? reject(first) : resolve(second);
      });
      this.emit(ev, ...args);
    });
  }

  /** The next emit's ack callback gets (err) after ms without a response. */
  timeout(ms) {
    this.flags.timeout = ms;
    return this;
  }

  compress(compress) {
    this.flags.compress = compress;
    return this;
  }

  _packet(packet) {
    packet.nsp = this.nsp;
    this.io._packet(packet);
  }

  _onOpen() {
    if (typeof this.auth === "function") {
      this.auth((data) => this._sendConnectPacket(data));
    } else {
      this._sendConnectPacket(this.auth);
    }
  }

  _sendConnectPacket(auth) {
    let data = auth;
    if (this._pid) data = { pid: this._pid, offset: this._lastOffset, ...auth };
    this._packet({ type: PacketType.CONNECT, data });
  }

  _onError(err) {
    if (!this.connected) this.emitReserved("connect_error", err);
  }

  _onClose(reason, description) {
    this.connected = false;
    this.id = undefined;
    this.emitReserved("disconnect", reason, description);
    this._clearAcks();
  }

  // Acks of packets already sent will never be answered on a new connection: fail the ones
  // that expect an error argument (timeout / emitWithAck), forget the others.
  _clearAcks() {
    for (const key of Object.keys(this.acks)) {
      const id = Number(key);
      if (this.sendBuffer.some((p) => p.id === id)) continue;
      const ack = this.acks[key];
      delete this.acks[key];
      if (ack.withError) ack.call(this, new Error("socket has been disconnected"));
    }
  }

  _onPacket(packet) {
    if (packet.nsp !== this.nsp) return;
    switch (packet.type) {
      case PacketType.CONNECT:
        if (packet.data && typeof packet.data.sid === "string") {
          this._onConnect(packet.data.sid, packet.data.pid);
        } else {
          this.emitReserved("connect_error", new Error("sio: CONNECT reply without a sid"));
        }
        break;
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        this._onEvent(packet);
        break;
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        this._onAck(packet);
        break;
      case PacketType.DISCONNECT:
        this._destroy();
        this._onClose("io server disconnect");
        break;
      case PacketType.CONNECT_ERROR: {
        this._destroy();
        const d = packet.data;
        const err = new Error(typeof d === "string" ? d : d.message);
        if (typeof d === "object") err.data = d.data;
        this.emitReserved("connect_error", err);
        break;
      }
    }
  }

  _onEvent(packet) {
    const args = packet.data;
    if (
      this._pid &&
      packet.id === undefined &&
      args.length > 1 &&
      typeof args[args.length - 1] === "string"
    ) {
      this._lastOffset = args.pop();
    }
    if (packet.id !== undefined) args.push(this._ackFor(packet.id));
    if (this.connected) this._emitEvent(args);
    else this.receiveBuffer.push(args);
  }

  _emitEvent(args) {
    for (const fn of [...this._anyListeners]) {
      try {
        fn.apply(this, args);
      } catch (err) {
        reportListenerError(err);
      }
    }
    this.emitReserved(...args);
  }

  // The callback handed to a handler for a server event with an ack id; answers once.
  _ackFor(id) {
    let sent = false;
    return (...args) => {
      if (sent) return;
      sent = true;
      this._packet({ type: PacketType.ACK, id, data: args });
    };
  }

  _onAck(packet) {
    const ack = this.acks[packet.id];
    if (typeof ack !== "function") return;
    delete this.acks[packet.id];
    const args = packet.data;
    if (ack.withError) args.unshift(null);
    ack.apply(this, args);
  }

  _onConnect(id, pid) {
    this.id = id;
    this.recovered = !!pid && this._pid === pid;
    this._pid = pid;
    this.connected = true;
    this._emitBuffered();
    this.emitReserved("connect");
  }

  _emitBuffered() {
    const received = this.receiveBuffer;
    this.receiveBuffer = [];
    for (const args of received) this._emitEvent(args);
    const toSend = this.sendBuffer;
    this.sendBuffer = [];
    for (const packet of toSend) {
      this._notifyOutgoing(packet);
      this._packet(packet);
    }
  }

  _destroy() {
    if (this.subs) {
      for (const stop of this.subs) stop();
      this.subs = undefined;
    }
    this.io._destroy(this);
  }

  /** Leaves the namespace; the connection closes when no namespace is left. No reconnection. */
  disconnect() {
    const wasConnected = this.connected;
    if (wasConnected) this._packet({ type: PacketType.DISCONNECT });
    this._destroy();
    if (wasConnected) this._onClose("io client disconnect");
    return this;
  }

  close() {
    return this.disconnect();
  }

  onAny(fn) {
    this._anyListeners.push(fn);
    return this;
  }

  prependAny(fn) {
    this._anyListeners.unshift(fn);
    return this;
  }

  offAny(fn) {
    if (fn === undefined) this._anyListeners = [];
    else this._anyListeners = this._anyListeners.filter((h) => h !== fn);
    return this;
  }

  listenersAny() {
    return [...this._anyListeners];
  }

  onAnyOutgoing(fn) {
    this._anyOutgoingListeners.push(fn);
    return this;
  }

  prependAnyOutgoing(fn) {
    this._anyOutgoingListeners.unshift(fn);
    return this;
  }

  offAnyOutgoing(fn) {
    if (fn === undefined) this._anyOutgoingListeners = [];
    else this._anyOutgoingListeners = this._anyOutgoingListeners.filter((h) => h !== fn);
    return this;
  }

  listenersAnyOutgoing() {
    return [...this._anyOutgoingListeners];
  }

  _notifyOutgoing(packet) {
    if (this._anyOutgoingListeners.length === 0) return;
    for (const fn of [...this._anyOutgoingListeners]) {
      try {
        fn.apply(this, packet.data);
      } catch (err) {
        reportListenerError(err);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// io(): url → namespace + shared Manager
// ---------------------------------------------------------------------------------------------

const managers = new Map();

function baseHref() {
  return typeof location !== "undefined" ? location.href : "http://localhost/";
}

/**
 * Opens (or reuses) a connection and returns the Socket for the url's namespace.
 * @param {string|object} [uri] "/orders", "http://host:port/orders"; or the options
 * @param {object} [opts]
 */
export function io(uri, opts) {
  if (typeof uri === "object" && uri !== null) {
    opts = uri;
    uri = undefined;
  }
  opts = { ...(opts ?? {}) };
  const url = new URL(uri ?? "", baseHref());
  if (url.protocol === "ws:") url.protocol = "http:";
  if (url.protocol === "wss:") url.protocol = "https:";
  const nsp = url.pathname || "/";
  if (url.search && opts.query === undefined) opts.query = url.search.slice(1);
  const path = normalizePath(opts.path);
  const key = url.origin + path;
  const cached = managers.get(key);
  const sameNamespace = cached !== undefined && nsp in cached.nsps;
  const newConnection =
    opts.forceNew || opts["force new connection"] || opts.multiplex === false || sameNamespace;
  let manager;
  if (newConnection) {
    manager = new Manager(url.origin, opts);
  } else {
    manager = cached ?? new Manager(url.origin, opts);
    managers.set(key, manager);
  }
  return manager.socket(nsp, opts);
}

// Like socket.io-client: io.io, io.connect, io.Manager, io.Socket, io.protocol.
Object.assign(io, { io, connect: io, Manager, Socket, protocol });

export { io as connect };
export default io;
