/**
 * authentication: every client logs in on /login for a signed token (20 s of life) and connects
 * with it; the server's middleware checks it and keeps the user in socket.data.user
 * (playground/kind_authentication.go). Each column chooses how its token reaches the server:
 * `auth` as an object (the token fetched once, sent again as is on every reconnection) or as a
 * function (called on every attempt: a fresh token each time). "Restart the server" drops every
 * connection (a 1 s outage, POST /play/{id}/fault): the clients whose token has expired by then
 * are refused with "token expired" and stay offline (socket.active false).
 */
import { io } from "../sio.js";
import { h, select, setChildren, clock, toBase64URL, ICON } from "../demo-dom.js";
import { fault } from "./reconnection.js";

/**
 * Logs in on the public /login namespace (in a real app: fetch("/login")) and resolves {token, exp}.
 * A server without /login (a student's own code) refuses the namespace: that fails at once
 * rather than after the 5 s the answer may take.
 */
function login(w, name) {
  const s = io("/login", { path: w.instance.path, forceNew: true, reconnection: false, auth: { name } });
  const refused = new Promise((_, reject) => s.once("connect_error", (err) => reject(new Error(`/login: ${err.message}`))));
  return Promise.race([s.timeout(5000).emitWithAck("login", name), refused]).finally(() => s.disconnect());
}

const MODES = [
  ["function", "auth: fn()"],
  ["object", "auth: {token}"],
];
const MODE_TEXT = {
  function: "auth is a function: a fresh token on every attempt",
  object: "auth is an object: the first token, sent as it is on every attempt",
};

export default {
  name: "authentication",

  /** The io() auth option: a function in both modes, since the token must be fetched first. */
  auth(w, c) {
    // A token given by the demo's config is sent as it is (a lesson's forged or expired one).
    if (c.auth.token !== undefined) return { ...c.auth, name: c.name };
    c.authMode = c.authMode ?? "function";
    return (cb) => {
      const reuse = c.authMode === "object" && c.token;
      const next = reuse ? Promise.resolve({ token: c.token, exp: c.tokenExp }) : login(w, c.name);
      next
        .then((res) => {
          if (res?.error) throw new Error(res.error);
          if (!reuse) c.logins = (c.logins ?? 0) + 1;
          c.token = res.token;
          c.tokenExp = res.exp;
          cb({ ...c.auth, name: c.name, token: res.token });
        })
        .catch((err) => {
          c.note = `${ICON.warn} login failed: ${err.message}`;
          cb({ ...c.auth, name: c.name }); // the middleware answers "no token"
        })
        .finally(() => w.renderClient(c));
    };
  },

  wire(w, c, socket, nsp) {
    if (nsp !== c.namespace) return;
    socket.on("connect_error", (err) => {
      c.refusal = `connect_error "${err.message}"${err.data ? " " + JSON.stringify(err.data) : ""}; socket.active = ${socket.active}`;
      w.renderClient(c);
    });
    socket.on("connect", () => {
      c.refusal = "";
      w.renderClient(c);
    });
  },

  controls(w, c, btn) {
    c.ui.auth = h("div", { class: "demo-recon", "data-testid": "client-auth", "aria-live": "polite" });
    const mode = select({ "aria-label": `How ${c.name} sends its token`, "data-testid": "client-auth-mode" }, MODES, c.authMode ?? "function");
    mode.onchange = () => {
      c.authMode = mode.value;
      w.renderClient(c);
    };
    const who = btn("Who am I?", "client-whoami", async () => {
      try {
        const user = await c.socket.timeout(2000).emitWithAck("whoami");
        c.note = `socket.data.user on the server: ${JSON.stringify(user)}`;
      } catch (err) {
        c.note = `${ICON.warn} whoami: ${err.message}`;
      }
      w.renderClient(c);
    });
    const forged = btn("Connect with a forged token", "client-forged", () => {
      const [hd, , sig] = String(c.token ?? "x.x.x").split(".");
      const claims = toBase64URL(JSON.stringify({ sub: "admin", exp: 4102444800 })); // the signature stays the old one
      w.tryConnect(c, c.namespace, `${hd}.${claims}.${sig}`, "a token whose claims were changed");
    });
    return [h("div", { class: "demo-buttons" }, mode), h("div", { class: "demo-buttons" }, who, forged), c.ui.auth];
  },

  drawClient(w, c) {
    if (!c.ui.auth) return;
    const lines = [];
    if (c.tokenExp) {
      const left = c.tokenExp * 1000 - Date.now();
      lines.push(h("p", { "data-testid": "client-token" }, `token for ${c.name}, expires ${clock(c.tokenExp * 1000).slice(0, 8)}`,
        left > 0 ? "" : " (expired)", ` · logins: ${c.logins ?? 0}`));
    }
    if (c.authMode) lines.push(h("p", { "data-testid": "client-auth-text" }, MODE_TEXT[c.authMode]));
    if (c.refusal && !c.connected) lines.push(h("p", { "data-testid": "client-refusal" }, c.refusal));
    setChildren(c.ui.auth, lines);
  },

  side(w) {
    const status = h("p", { class: "demo-answer", role: "status", "data-testid": "restart-status" });
    const restart = h("button", { type: "button", class: "demo-btn demo-primary", "data-testid": "restart" }, "Restart the server (1 s outage)");
    restart.onclick = async () => {
      try {
        const out = await fault(w, { outage: 1000 });
        status.textContent = `${ICON.warn} ${out.dropped} connection${out.dropped === 1 ? "" : "s"} dropped: each client reconnects and authenticates again.`;
      } catch (err) {
        status.textContent = `${ICON.warn} ${err.message}`;
      }
    };
    return h("section", { class: "demo-panel", "aria-label": "Tokens" }, h("h3", { class: "demo-h" }, "Tokens"),
      h("p", { class: "demo-muted" }, "A token lives 20 s here (an hour or less in a real app). Wait until a fixed one has expired, then restart the server."),
      restart, status);
  },
};
