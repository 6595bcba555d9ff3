/**
 * reconnection: what a client does when its connection ends (playground/kind_reconnection.go).
 * Each column shows socket.active, the last disconnect reason and whether the client reconnects
 * by itself, every reconnection attempt with the delay the backoff chose, and the emits waiting
 * in its buffer. The faults come from the server side (POST /play/{id}/fault): an outage
 * (connections drop, reconnection attempts fail until it ends) and a silenced heartbeat (the
 * server stops pinging one connection, whose own timer then ends it with "ping timeout").
 */
import { h, setChildren, ICON } from "../demo-dom.js";

const OUTAGE_MS = 8000;

// The reasons socket.io-client 4.8 gives, and whether it reconnects after them by itself
// (node/truth/12-reconnection.test.js checks each).
const REASONS = {
  "io server disconnect": false,
  "io client disconnect": false,
  "ping timeout": true,
  "transport close": true,
  "transport error": true,
};

function seconds(ms) {
  return (ms / 1000).toFixed(1) + " s";
}

/** POST /play/{id}/fault: break the demo's server on purpose (docs/play-api.md). */
export async function fault(w, body) {
  const res = await fetch(`/play/${encodeURIComponent(w.instance.id)}/fault`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const out = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(out.error || `HTTP ${res.status}`);
  return out;
}

/**
 * Emits n "send" requests at once (io.emit of "msg" to everyone). Plain emits made while offline
 * wait in the socket's buffer and all go out on the next connect; with onlyIfConnected, the
 * client checks socket.connected first and drops them itself, which is what you want for stale
 * data such as a cursor position (volatile is no guarantee here: node/truth/12-reconnection).
 */
function burst(w, c, n, onlyIfConnected) {
  const s = c.socket;
  if (!s) return;
  c.recon.burst = (c.recon.burst ?? 0) + 1;
  let sent = 0;
  for (let i = 1; i <= n; i++) {
    if (onlyIfConnected && !s.connected) continue;
    s.emit("send", { event: "msg", args: [`${c.name} #${c.recon.burst}.${i}`], scope: "all" }, () => {});
    sent++;
  }
  if (onlyIfConnected) c.note = sent ? `${sent} emits sent (socket.connected was true)` : `socket.connected is false: ${n} emits skipped, nothing buffered`;
  else c.note = `${n} emits: ${s.connected ? "sent now" : "waiting in the buffer until the next connect"}`;
  w.renderClient(c);
}

export default {
  name: "reconnection",

  // socket.io-client's own defaults (the widget shortens them for the other demos).
  clientOptions: { reconnectionDelay: 1000, reconnectionDelayMax: 5000, randomizationFactor: 0.5 },

  init() {
    return { outageEnd: 0, status: null };
  },

  wire(w, c, socket, nsp) {
    if (nsp !== c.namespace) return;
    c.recon = c.recon ?? { reason: "", attempts: [], since: 0, errors: 0 };
    const r = c.recon;
    const mgr = socket.io;
    socket.on("connect", () => {
      if (r.since) r.back = `connected again after ${seconds(Date.now() - r.since)}` + (r.attempts.length ? ` and ${r.attempts.length} attempt${r.attempts.length > 1 ? "s" : ""}` : "");
      r.since = 0;
      r.attempts = [];
      w.renderClient(c);
    });
    socket.on("disconnect", (reason) => {
      r.reason = reason;
      r.since = Date.now();
      r.last = r.since;
      r.back = "";
      r.attempts = [];
      w.renderClient(c);
    });
    socket.on("connect_error", (err) => {
      r.error = `connect_error "${err.message}": socket.active is ${socket.active} (${socket.active ? "it tries again" : "refused for good: call socket.connect()"})`;
      w.renderClient(c);
    });
    mgr.on("reconnect_attempt", (n) => {
      const now = Date.now();
      r.attempts.push({ n, wait: now - (r.last || now) });
      r.last = now;
      w.renderClient(c);
    });
    mgr.on("reconnect_error", () => {
      r.last = Date.now(); // the next delay starts when this attempt failed
      w.renderClient(c);
    });
  },

  controls(w, c, btn) {
    c.ui.recon = h("div", { class: "demo-recon", "data-testid": "client-recon", "aria-live": "polite" });
    const kick = btn("Server kicks me", "client-kick", () => {
      c.socket?.emit("kick");
    });
    const silence = btn("Silence heartbeat", "client-silence", async () => {
      const sid = c.socket?.io.engine?.id;
      if (!c.connected || !sid) return;
      try {
        await fault(w, { silence: sid });
        c.recon.silencedAt = Date.now();
        c.note = `${ICON.warn} the server stopped pinging this connection: its heartbeat check fires in at most pingInterval + pingTimeout`;
      } catch (err) {
        c.note = `${ICON.warn} ${err.message}`;
      }
      w.renderClient(c);
    });
    const three = btn("Emit 3", "client-burst", () => burst(w, c, 3, false));
    const checked = btn("Emit 3 if connected", "client-burst-checked", () => burst(w, c, 3, true));
    return [h("div", { class: "demo-buttons" }, kick, silence), h("div", { class: "demo-buttons" }, three, checked), c.ui.recon];
  },

  drawClient(w, c) {
    const r = c.recon;
    const s = c.socket;
    if (!r || !s || !c.ui.recon) return;
    const lines = [h("p", { "data-testid": "client-active" }, h("code", {}, `socket.active = ${s.active}`), ` · socket.connected = ${s.connected}`)];
    if (r.reason) {
      const auto = REASONS[r.reason];
      const what = s.connected ? "" : auto === undefined ? "" : auto ? ": it reconnects by itself" : ": it stays offline until socket.connect()";
      lines.push(h("p", { "data-testid": "client-reason", "data-reason": r.reason }, "last disconnect: ", h("code", {}, r.reason), what));
    }
    if (r.attempts.length) {
      lines.push(h("ol", { class: "demo-attempts", "data-testid": "client-attempts" },
        r.attempts.map((a) => h("li", {}, `attempt ${a.n} after ${seconds(a.wait)}`))));
    }
    if (r.back) lines.push(h("p", { "data-testid": "client-back" }, `${ICON.recovered} ${r.back}`));
    if (!s.connected && r.error) lines.push(h("p", { "data-testid": "client-connect-error" }, r.error));
    const buffered = s.sendBuffer?.length ?? 0;
    if (buffered) lines.push(h("p", { "data-testid": "client-buffered" }, `${buffered} emit${buffered > 1 ? "s" : ""} buffered (sent when it connects)`));
    setChildren(c.ui.recon, lines);
  },

  side(w) {
    const status = h("p", { class: "demo-answer", role: "status", "data-testid": "outage-status" });
    w.kindState.status = status;
    const down = h("button", { type: "button", class: "demo-btn demo-primary", "data-testid": "outage" }, `Take the server down for ${OUTAGE_MS / 1000} s`);
    down.onclick = async () => {
      down.disabled = true;
      try {
        const out = await fault(w, { outage: OUTAGE_MS });
        status.textContent = `${ICON.warn} Server down: ${out.dropped} connection${out.dropped === 1 ? "" : "s"} dropped; every attempt fails until it is back.`;
        setTimeout(() => {
          status.textContent = `${ICON.received} Server back: the next attempt of each client succeeds.`;
          down.disabled = false;
        }, OUTAGE_MS);
      } catch (err) {
        status.textContent = `${ICON.warn} ${err.message}`;
        down.disabled = false;
      }
    };
    return h("section", { class: "demo-panel", "aria-label": "Server faults" }, h("h3", { class: "demo-h" }, "Break the server"),
      h("p", { class: "demo-muted" }, "Heartbeat of this demo: pingInterval 2000 ms, pingTimeout 2000 ms (socket.io's defaults: 25000 and 20000)."),
      down, status);
  },
};
