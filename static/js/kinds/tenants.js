/**
 * tenants: one dynamic namespace per organisation (/org-NAME), guarded by its token
 * (playground/kind_tenants.go).
 */
import { h, select, field } from "../demo-dom.js";

export default {
  name: "tenants",
  roomControls: true,

  /** A client without an organisation of its own joins one, with that organisation's token. */
  clientDefaults(w, c) {
    const tenants = w.cfg.tenants ?? [];
    if (tenants.length === 0) return;
    let t = tenants.find((t) => "/org-" + t.name === c.namespace);
    if (!t) {
      t = tenants[w.clients.length % tenants.length];
      if (c.namespace === "/") c.namespace = "/org-" + t.name;
    }
    if (!c.auth.token) c.auth.token = t.token;
  },

  controls(w, c, btn) {
    const tenants = w.cfg.tenants ?? [];
    const otherT = tenants.filter((t) => "/org-" + t.name !== c.namespace);
    const bad = btn("Connect with a wrong token", "client-wrong-token", () => w.tryConnect(c, c.namespace, "wrong-token", "wrong token"));
    const row = h("div", { class: "demo-buttons" }, bad);
    if (otherT.length) {
      const pick = select({ "aria-label": `Other tenant for ${c.name}`, "data-testid": "client-other-tenant" }, otherT.map((t) => ["/org-" + t.name, "/org-" + t.name]));
      row.append(field("Other tenant", pick, "demo-inline-field"), btn("Try to reach this tenant", "client-cross-tenant", () => w.tryConnect(c, pick.value, c.auth.token, "another tenant")));
    }
    return [row];
  },
};
