/**
 * cluster: servers A, B and C, each with its own clients (a client picks its server with
 * ?server=, as sticky routing would); the adapter switch restarts them with
 * @socket.io/redis-adapter on one broker, and the broker panel lists every message they publish,
 * by the channel the broker saw it on (playground/kind_cluster.go).
 */
import { h, select, field, clock } from "../demo-dom.js";

const SERVERS = ["A", "B", "C"];
const MAX_BROKER_ROWS = 40;

function brokerLabel(st) {
  if (!st.adapter) return "Adapter off: each server keeps its emits to itself; nothing goes to a broker.";
  const where = st.broker?.builtin
    ? "the built-in stand-in for Redis (a Redis-protocol server inside Socket Lab, so the demo needs no Redis installed)"
    : "the Redis server given with -redis";
  return `Adapter on: the servers publish on ${where}. This demo's key is ${st.broker?.key ?? ""} (yours would be socket.io), so that demos never mix.`;
}

function renderSwitch(w) {
  const st = w.kindState;
  if (!st.switchEl) return;
  st.switchEl.setAttribute("aria-pressed", String(st.adapter));
  st.switchEl.textContent = st.adapter ? "Adapter: on (click to turn off)" : "Adapter: off (click to turn on)";
  st.switchEl.dataset.state = st.adapter ? "on" : "off";
  st.labelEl.textContent = brokerLabel(st);
  st.labelEl.dataset.builtin = String(!!st.broker?.builtin);
}

/**
 * One broker message: its channel and what it carries. This demo's key is demo-ID:socket.io, so
 * the row shows the channel from "socket.io" on (what it would be with the default key); the full
 * name is in its title and data-channel.
 */
function brokerRow(d) {
  const own = d.key.endsWith(":socket.io") && d.channel.startsWith(d.key);
  const shown = own ? "socket.io" + d.channel.slice(d.key.length) : d.channel;
  const what = d.kind === "request" || d.kind === "response"
    ? `${d.kind}${d.request ? " " + d.request : ""}`
    : `${d.kind === "room" ? "room emit" : "broadcast"} "${d.event ?? ""}"`;
  return h("li", { "data-channel": d.channel, "data-kind": d.kind ?? "", "data-testid": "broker-message" },
    h("code", { class: "demo-mono", title: d.channel }, shown),
    h("span", {}, ` ${what}`), h("span", { class: "demo-muted" }, ` · ${d.bytes} B · ${clock(d.time)}`));
}

export default {
  name: "cluster",
  roomControls: true,

  init() {
    return { adapter: false, broker: null, switchEl: null, labelEl: null, logEl: null, rows: 0 };
  },

  /** Clients without a server take A, B and C in turn. */
  clientDefaults(w, c) {
    if (!c.server) c.server = SERVERS[w.clients.length % SERVERS.length];
  },

  controls(w, c) {
    return [h("p", { class: "demo-muted", "data-testid": "client-server", "data-server": c.server }, `on server ${c.server}`)];
  },

  panels(w, id) {
    const st = w.kindState;
    st.switchEl = h("button", { type: "button", class: "demo-btn demo-primary", "aria-pressed": "false", "data-testid": "adapter-switch", onclick: async () => {
      const on = !st.adapter;
      st.switchEl.disabled = true;
      st.labelEl.textContent = on ? "Restarting A, B and C with the Redis adapter…" : "Restarting A, B and C in memory…";
      try {
        const res = await fetch(`/play/${encodeURIComponent(w.instance.id)}/adapter`, {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ on }), credentials: "same-origin",
        });
        const body = await res.json().catch(() => ({}));
        if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
        st.adapter = on;
        w.restartClients(); // the servers restarted: reconnect now rather than after the backoff
      } catch (err) {
        st.labelEl.textContent = `Could not switch the adapter: ${err.message}`;
        st.switchEl.disabled = false;
        return;
      }
      st.switchEl.disabled = false;
      renderSwitch(w);
    } }, "Adapter: off (click to turn on)");
    st.labelEl = h("p", { class: "demo-muted", role: "status", "data-testid": "broker-label" }, brokerLabel(st));

    const from = select({ id: id("cl-from"), "data-client-pick": "", "data-testid": "cluster-from" }, []);
    const out = h("p", { class: "demo-answer", role: "status", "data-testid": "cluster-result" });
    const run = (label, event, arg, show, testid = event) => h("button", { type: "button", class: "demo-btn", "data-testid": "cluster-" + testid, onclick: () => {
      const c = w.clients.find((c) => c.name === from.value);
      if (!c?.connected) {
        out.textContent = `${from.value} is not connected.`;
        return;
      }
      out.dataset.state = "waiting";
      out.textContent = `${c.name} (server ${c.server}) asks for ${label}…`;
      c.socket.timeout(4000).emit(event, arg(c), (err, res) => {
        out.dataset.state = err || res?.error ? "error" : "ok";
        out.textContent = err || res?.error ? `${label}: ${err ? err.message : res.error}` : show(c, res);
      });
    } }, label);
    const room = h("input", { type: "text", id: id("cl-room"), value: "room-1", maxlength: "64", size: "8", "data-testid": "cluster-room-name" });
    const forms = h("div", { class: "demo-row" }, field("From (client)", from),
      run("io.emit", "broadcast", () => ({ event: "news", args: ["from " + from.value] }),
        (c) => `Server ${c.server} ran io.emit("news"): ${st.adapter ? "its own clients got it, and it published it on the broker for the other servers" : "its own clients got it; the other servers never heard of it"}.`),
      field("Room", room),
      run(`io.to(room).emit`, "broadcast", () => ({ event: "room-news", args: ["from " + from.value], room: room.value }),
        (c) => `Server ${c.server} ran io.to(${JSON.stringify(room.value)}).emit("room-news"): ${st.adapter ? "its members got it, and the other servers' members through the broker" : "only its own members got it"}.`, "room"),
      run("io.local.emit", "local", () => ({ event: "local-news", args: ["from " + from.value] }),
        (c, res) => `io.local.emit("local-news") reached the ${res.recipients} socket(s) of server ${c.server} only, adapter or not.`),
      run("fetchSockets", "who", () => null,
        (c, res) => `io.fetchSockets() on server ${c.server}: ${res.map((s) => `${s.name} (${s.server})`).join(", ") || "nobody"}.`));
    return [h("div", { class: "demo-cluster" }, h("div", { class: "demo-row" }, st.switchEl), st.labelEl, forms, out)];
  },

  side(w) {
    const st = w.kindState;
    st.logEl = h("ol", { class: "demo-broker", reversed: "", "data-testid": "broker-log", "aria-live": "off" });
    return h("section", { class: "demo-panel", "aria-label": "Broker channels" },
      h("h3", { class: "demo-h" }, "Broker: channels seen (PSUBSCRIBE)"),
      h("p", { class: "demo-muted" }, "Every message the servers publish, newest first, as the broker sees it. Nothing while the adapter is off."), st.logEl);
  },

  onState(w, state) {
    const st = w.kindState;
    st.adapter = !!state.adapter;
    st.broker = state.broker ?? st.broker;
    renderSwitch(w);
  },

  onMessage(w, d) {
    const st = w.kindState;
    if (d.type !== "broker" || !st.logEl) return;
    st.logEl.prepend(brokerRow(d));
    while (st.logEl.children.length > MAX_BROKER_ROWS) st.logEl.lastChild.remove();
  },
};

