/**
 * namespaces: "/" lets everyone in; the other namespaces (/orders) need a token and have an
 * "order" event of their own (playground/kind_namespaces.go).
 */
import { h, select, field, short, ICON } from "../demo-dom.js";

export default {
  name: "namespaces",
  roomControls: true,
  multiplex: true,

  init: () => ({ orderOut: null }),

  clientDefaults(w, c) {
    // The other namespaces refuse a connection without a token.
    if (c.auth.token === undefined) c.auth.token = "token-" + c.name;
  },

  /** "order" is an event only the other namespaces (/orders) handle. */
  panels(w, id) {
    const from = select({ id: id("order-from"), "data-sender": "", "data-testid": "order-from" }, []);
    const item = h("input", { type: "text", id: id("order-item"), value: "1 coffee", maxlength: "200", "data-testid": "order-item" });
    const out = h("p", { class: "demo-answer", role: "status", "data-testid": "order-result" });
    w.kindState.orderOut = out;
    return [h("div", {}, h("form", { class: "demo-row", onsubmit: (e) => {
      e.preventDefault();
      const sender = w.pickSender(from.value);
      if (!sender?.entry?.socket.connected) {
        out.textContent = `${from.value.split("\u0000")[0]} is not connected on that namespace.`;
        return;
      }
      const { client: c, entry } = sender;
      w.expectSend(c, entry, { event: "order:new", explain: `socket.emit("order", ${short(item.value)})` });
      out.dataset.state = "waiting";
      out.textContent = `${c.name} emits "order" on ${entry.nsp}…`;
      entry.socket.timeout(2000).emit("order", item.value, (err, res) => {
        if (out.dataset.state !== "waiting") return; // the tap already said nobody listens
        if (err || res?.error) {
          out.dataset.state = "error";
          out.textContent = `${ICON.warn} No "order" handler on ${entry.nsp}: ${err ? err.message : res.error}. Only the namespaces whose handlers listen for "order" answer.`;
        } else {
          out.dataset.state = "ok";
          out.textContent = `${ICON.received} The ${entry.nsp} handler took the order and broadcast "order:new" to ${entry.nsp}.`;
        }
      });
    } }, field("From (client, namespace)", from), field("Item", item),
    h("button", { type: "submit", class: "demo-btn demo-primary", "data-testid": "order-send" }, 'Emit "order"')), out)];
  },

  /** "order" where no handler listens: said at once, from the tap, before the ack's timeout. */
  onUnhandled(w, t, why) {
    const out = w.kindState.orderOut;
    if (t.event !== "order" || !out || out.dataset.state !== "waiting") return;
    out.dataset.state = "error";
    out.textContent = `${ICON.warn} No "order" handler on ${t.nsp}. ${why} Only the namespaces whose handlers listen for "order" answer.`;
  },

  controls(w, c, btn) {
    const guarded = w.namespaceOptions().map(([n]) => n).filter((n) => n !== "/");
    if (!guarded.length) return [];
    const pick = select({ "aria-label": `Guarded namespace ${c.name} tries without a token`, "data-testid": "client-no-token-nsp" }, guarded.map((n) => [n, n]));
    const go = btn(guarded.length === 1 ? `Connect to ${guarded[0]} without a token` : "Connect without a token", "client-no-token",
      () => w.tryConnect(c, pick.value, undefined, "no token"));
    // One guarded namespace: the button names it, no menu.
    return [h("div", { class: "demo-buttons" }, guarded.length > 1 ? field("Guarded namespace", pick, "demo-inline-field") : null, go)];
  },
};
