/**
 * broker: one publish goes out by pub/sub (a copy to every worker online now) and through a work
 * queue (one worker at a time, redelivered until it is acknowledged, a dead letter after three
 * deliveries) (playground/kind_broker.go). Workers are the clients with auth {worker: true}: by
 * default every client but the first, the publisher. Each worker answers its jobs "done",
 * "failed" or not at all; the common Disconnect and Connect buttons take it offline and back.
 */
import { h, setChildren, select, field, short, ICON, statePanel, connectedSender, orderFields } from "../demo-dom.js";

const REPLIES = { done: "done", fail: "failed" };
const OUTCOME = { done: " → acked: done", fail: " → nacked: failed", hold: " → no answer" };

function job(msg) {
  return `#${msg.id} ${short(msg.text, 24)} (delivery ${msg.attempt})`;
}

function renderBroker(w) {
  const st = w.kindState;
  if (!st.el) return;
  const b = st.server;
  if (!b) {
    setChildren(st.el, h("p", { class: "demo-muted" }, "The queue is shown for the demo's own server."));
    return;
  }
  const list = (testid, items, empty) =>
    h("ul", { "data-testid": testid, "data-count": String(items.length) }, items.length ? items : h("li", { class: "demo-muted" }, empty));
  setChildren(st.el,
    h("h4", {}, "Waiting for a free worker"),
    list("broker-ready", b.ready.map((m) => h("li", {}, job(m))), "none"),
    h("h4", {}, "Sent, not acknowledged yet"),
    list("broker-inflight", b.inflight.map((f) => h("li", {}, job(f.msg), " at ", h("strong", {}, f.worker))), "none"),
    h("h4", {}, "Dead letters (gave up after 3 deliveries)"),
    list("broker-dead", b.dead.map((m) => h("li", {}, `${ICON.warn} `, job(m))), "none"),
    h("p", { "data-testid": "broker-done" }, `Acknowledged: ${b.done}`));
}

export default {
  name: "broker",
  composer: { event: "news", scope: "all" },

  init() {
    return { server: null, el: null };
  },

  /** The first client publishes; every other one is a worker unless its auth says otherwise. */
  clientDefaults(w, c) {
    if (c.auth.worker === undefined) c.auth.worker = w.clients.length > 0;
    c.jobMode = "done";
  },

  wire(w, c, socket) {
    socket.on("job", (msg, ack) => {
      const mode = c.jobMode;
      // onAny ran first and listed this job among the client's received events: say what it did.
      const entry = c.received[0];
      if (entry?.text.startsWith("job ")) entry.text += OUTCOME[mode];
      w.renderClient(c);
      if (REPLIES[mode] && typeof ack === "function") ack(REPLIES[mode]);
    });
  },

  panels(w, id) {
    const form = orderFields(id, "pub", "publish");
    const { from, text, out } = form;
    return [h("div", {}, h("form", { class: "demo-row", onsubmit: async (e) => {
      e.preventDefault();
      const c = connectedSender(w, from.value, out);
      if (!c) return;
      try {
        const res = await c.ack("publish", { text: text.value });
        out.textContent = res?.error
          ? `${ICON.warn} ${res.error}`
          : `#${res.id}: pub/sub sent a copy to ${res.subscribers} worker${res.subscribers === 1 ? "" : "s"} online; the queue gives it to one worker.`;
      } catch (err) {
        out.textContent = `${ICON.warn} ${err.message}`;
      }
      form.next();
    } }, field("From", from), field("Message", text),
    h("button", { type: "submit", class: "demo-btn demo-primary", "data-testid": "publish-send" }, "Publish")), out)];
  },

  /** A worker answers each job "done", "failed", or never (it holds it). */
  controls(w, c) {
    if (c.auth.worker !== true) return [h("p", { class: "demo-muted" }, "Publisher (not a worker)")];
    const mode = select({ "aria-label": `How ${c.name} answers jobs`, "data-testid": "client-jobs" },
      [["done", "Acks: done"], ["fail", "Fails: nack"], ["hold", "Holds it: no answer"]], c.jobMode);
    mode.addEventListener("change", () => (c.jobMode = mode.value));
    return [field("Jobs", mode)];
  },

  ...statePanel({ title: "Work queue (server)", testid: "broker-queue", field: "broker", render: renderBroker }),
};
