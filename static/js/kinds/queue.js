/**
 * queue: deliveries wait on the server until their client acknowledges them; a client that lost
 * its network comes back to the same session (connection state recovery;
 * playground/kind_queue.go).
 */
import { h, setChildren, select, field, short, ICON, statePanel, connectedSender, orderFields } from "../demo-dom.js";

const ACKED = " → acked";

function renderQueue(w) {
  const st = w.kindState;
  if (!st.el) return;
  const rows = [];
  const who = new Set([...st.queues.keys(), ...Object.keys(st.server ?? {})]);
  for (const name of who) {
    const waiting = (st.queues.get(name) ?? []).filter((i) => i.state === "waiting");
    const n = st.server ? st.server[name] ?? 0 : waiting.length;
    if (!n) continue;
    rows.push(h("li", { "data-queue": name, "data-count": String(n) }, h("strong", {}, name), `: ${n} waiting on the server`,
      waiting.length ? ": " + waiting.map((i) => short(i.text, 24)).join(", ") : ""));
  }
  const empty = h("p", { class: "demo-muted", "data-testid": "queue-empty" }, "Empty: every delivery was acknowledged.");
  setChildren(st.el, rows.length ? h("ul", {}, rows) : empty);
}

/** c delivers text to `to` through the server's queue; out (the panel's status line) says what the server did. */
async function deliver(w, c, to, text, out) {
  const queues = w.kindState.queues;
  const q = queues.get(to) ?? [];
  q.push({ text, state: "waiting" });
  queues.set(to, q);
  renderQueue(w);
  try {
    const res = await c.ack("deliver", { to, text });
    if (out) out.textContent = `Server: queued for ${to} (${res?.queued ?? "?"} waiting in its queue).`;
  } catch (err) {
    if (out) out.textContent = `${ICON.warn} ${err.message}`;
  }
  renderQueue(w);
}

export default {
  name: "queue",

  init() {
    return { queues: new Map(), server: null, el: null, out: null }; // recipient name → [{text, state}]; the server's counts
  },

  /** Every delivery is acknowledged once shown. */
  wire(w, c, socket) {
    socket.on("delivery", (msg, ack) => {
      const items = w.kindState.queues.get(c.name) ?? [];
      const item = items.find((i) => i.state === "waiting" && i.text === msg?.text);
      if (item) item.state = "acked";
      // onAny ran first and listed this delivery among the client's received events: mark that
      // entry acknowledged rather than listing the job a second time.
      const entry = c.received[0];
      if (entry?.text.startsWith("delivery ") && !entry.text.endsWith(ACKED)) entry.text += ACKED;
      renderQueue(w);
      w.renderClient(c);
      if (typeof ack === "function") ack("ok");
    });
  },

  panels(w, id) {
    const form = orderFields(id, "dl", "deliver");
    const { from, text, out } = form;
    w.kindState.out = out;
    // The lesson sends jobs from the first client (the dispatcher) to the second (a courier).
    const to = select({ id: id("dl-to"), "data-client-pick": "1", "data-testid": "deliver-to" }, []);
    return [h("div", {}, h("form", { class: "demo-row", onsubmit: async (e) => {
      e.preventDefault();
      const c = connectedSender(w, from.value, out);
      if (!c) return;
      await deliver(w, c, to.value, text.value, out);
      form.next();
    } }, field("From", from), field("Deliver to", to), field("Text", text),
    h("button", { type: "submit", class: "demo-btn demo-primary", "data-testid": "deliver-send" }, "Deliver (queued until acked)")), out)];
  },

  /** A predict-the-outcome step (demo-outcome.js): deliver: CLIENT with text:. */
  outcomeStep(w, c, s) {
    if (!s.deliver) return null;
    if (!c.connected) return Promise.reject(new Error(`${c.name} is offline and cannot deliver`));
    return deliver(w, c, s.deliver, s.text, w.kindState.out);
  },

  /** The words for an outcome step of this kind (null: not one of its own). */
  outcomeDescribe(s) {
    return s.deliver ? `${s.client} delivers ${JSON.stringify(String(s.text))} to ${s.deliver} (queued until acknowledged)` : null;
  },

  /** Every delivery the scenario made was received and acknowledged, and the server's queue says so. */
  outcomeSettled(w, steps) {
    const st = w.kindState;
    return steps.filter((s) => s.deliver).every((s) =>
      !(st.queues.get(s.deliver) ?? []).some((i) => i.state === "waiting") && !(st.server?.[s.deliver] > 0));
  },

  /** Connection state recovery: lose the network (no DISCONNECT), then get it back. */
  controls(w, c, btn) {
    c.ui.net = btn("Lose network", "client-network", () => (c.netLost ? c.networkBack() : c.loseNetwork()));
    return [h("div", { class: "demo-buttons" }, c.ui.net)];
  },

  drawClient(w, c) {
    c.ui.net.textContent = c.netLost ? "Network back" : "Lose network";
    c.ui.net.disabled = !c.netLost && !c.connected;
  },

  ...statePanel({ title: "Server-side queue", label: "Server queue", testid: "server-queue", field: "queues", render: renderQueue }),
};
