/**
 * demo-playground.js: the /playground page's extras around one DemoWidget: the setup is read
 * from the URL (#c=base64url(JSON config)), a shareable link recreates it, and "bring your own
 * client" shows the URL and a Node snippet for an outside socket.io-client.
 */
import { h, field, toBase64URL, fromBase64URL } from "./demo-dom.js";
import { copyText } from "./site.js";

function fromHash() {
  const m = /^#c=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!m) return null;
  try {
    const cfg = JSON.parse(fromBase64URL(m[1]));
    return cfg && typeof cfg === "object" && !Array.isArray(cfg) ? cfg : null;
  } catch {
    return null;
  }
}

function list(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

/** The widget's current setup as a demo config (what the link carries). */
export function currentConfig(w) {
  const cfg = {};
  if (w.cfg.title) cfg.title = w.cfg.title;
  cfg.clients = w.clients.map((c) => {
    const out = { name: c.name };
    if (c.namespace !== "/") out.namespace = c.namespace;
    const sid = c.socket?.id;
    const rooms = sid ? (w.stateSockets.get(sid)?.rooms ?? []).filter((r) => r !== sid) : c.initialRooms;
    if (rooms.length) out.rooms = rooms;
    return out;
  });
  const nsps = (w.cfg.namespaces ?? []).filter((n) => n !== "/");
  for (const c of cfg.clients) if (c.namespace && !nsps.includes(c.namespace)) nsps.push(c.namespace);
  if (nsps.length) cfg.namespaces = nsps;
  const rooms = new Set(w.cfg.rooms ?? []);
  for (const c of cfg.clients) for (const r of c.rooms ?? []) rooms.add(r);
  if (rooms.size) cfg.rooms = [...rooms];
  if (w.code?.edited) cfg.code = w.code.value; // the student's server code (demo-code.js)
  const ev = w.composer?.event.value.trim();
  if (ev) cfg.event = ev;
  try {
    cfg.payload = JSON.parse(w.composer.args.value);
  } catch {
    if (w.composer?.args.value) cfg.payload = w.composer.args.value;
  }
  return cfg;
}

export function shareURL(cfg) {
  return location.origin + location.pathname + "#c=" + toBase64URL(JSON.stringify(cfg));
}

export async function startPlayground(w) {
  const section = w.section;
  const linked = fromHash();
  // The server code travels in the link too ({..., code}); links without it still work.
  if (typeof linked?.code === "string") w.initialCode = linked.code;
  delete linked?.code;
  await w.start(linked ?? w.config());
  if (section.dataset.failed !== undefined) {
    if (linked) {
      section.append(h("p", {}, "The setup in this link was refused. ", h("a", { href: location.pathname }, "Start from the default sandbox")));
    }
    return;
  }
  const uid = w.uid;
  const origin = (section.dataset.origin || location.origin).replace(/\/+$/, "");

  // Setup: namespaces and rooms need a fresh server instance (they are part of its config).
  const nsps = h("input", { type: "text", id: uid + "-nsps", value: (w.cfg.namespaces ?? []).join(", "), "data-testid": "pg-namespaces" });
  const rooms = h("input", { type: "text", id: uid + "-rooms", value: (w.cfg.rooms ?? []).join(", "), "data-testid": "pg-rooms" });
  const setup = h("form", { class: "demo-panel demo-pg-setup", "aria-labelledby": uid + "-setup-h", onsubmit: (e) => {
    e.preventDefault();
    const cfg = currentConfig(w);
    cfg.namespaces = list(nsps.value).map((n) => (n.startsWith("/") ? n : "/" + n));
    cfg.rooms = list(rooms.value);
    for (const c of cfg.clients) if (c.namespace && !cfg.namespaces.includes(c.namespace)) delete c.namespace;
    location.hash = "c=" + toBase64URL(JSON.stringify(cfg));
    location.reload();
  } },
  h("h2", { class: "demo-h", id: uid + "-setup-h" }, "Setup"),
  h("p", { class: "demo-muted" }, "Add clients in the Clients panel. Namespaces and rooms offered by the controls are part of the server's setup: applying them starts a fresh server with the same clients."),
  h("div", { class: "demo-row" }, field("Namespaces (comma-separated)", nsps), field("Rooms (comma-separated)", rooms)),
  h("button", { type: "submit", class: "demo-btn", "data-testid": "pg-apply" }, "Apply and restart"));

  // Share: a link that recreates this setup.
  const link = h("input", { type: "text", readonly: true, id: uid + "-link", "data-testid": "pg-link", "aria-label": "Link to this setup" });
  const copied = h("span", { class: "demo-muted", role: "status" });
  const copy = async (input) => {
    input.select();
    copied.textContent = (await copyText(input.value)) ? "Copied." : "Select the text and copy it (Ctrl+C).";
  };
  const share = h("section", { class: "demo-panel", "aria-labelledby": uid + "-share-h" },
    h("h2", { class: "demo-h", id: uid + "-share-h" }, "Share this setup"),
    h("div", { class: "demo-row" }, field("Link", link, "demo-wide-field"),
      h("button", { type: "button", class: "demo-btn", "data-testid": "pg-make-link", onclick: () => {
        link.value = shareURL(currentConfig(w));
        copy(link);
      } }, "Make link and copy")), copied);
  link.value = shareURL(currentConfig(w));
  // The address bar follows the setup (clients, their rooms, the code), so a reload brings back
  // this sandbox as it is now, not the one the page was opened with.
  if (!w.instance.run) {
    let pending = 0;
    w.onSetupChange = () => {
      clearTimeout(pending);
      pending = setTimeout(() => history.replaceState(history.state, "", shareURL(currentConfig(w))), 250);
    };
    w.onSetupChange();
  }

  // Bring your own client.
  const path = w.instance.path;
  const snippet = [
    `import { io } from "socket.io-client";`,
    `const socket = io(${JSON.stringify(origin + "/")}, { path: ${JSON.stringify(path)}, auth: { name: "me" } });`,
    `socket.on("connect", () => console.log("connected as", socket.id));`,
    `socket.onAny((event, ...args) => console.log(event, ...args));`,
    w.instance.run
      ? `socket.emit("chat", "hello from Node");`
      : `socket.emit("send", { event: "chat", args: ["hello from Node"], scope: "all" });`,
  ].join("\n");
  const code = h("code", { "data-testid": "pg-snippet" }, snippet);
  const snippetCopied = h("span", { class: "demo-muted", role: "status", "data-testid": "pg-snippet-copied" }); // beside its button
  const byo = h("section", { class: "demo-panel", "aria-labelledby": uid + "-byo-h" },
    h("h2", { class: "demo-h", id: uid + "-byo-h" }, "Bring your own client"),
    h("p", {}, "This sandbox's server is at ", h("code", { "data-testid": "pg-url" }, origin + "/"), " with path ", h("code", { "data-testid": "pg-path" }, path),
      ". Connect from Node (", h("code", {}, "npm install socket.io-client"), ") and your client appears in the diagram and the log like the ones in this page:"),
    h("pre", { class: "demo-snippet" }, code),
    h("button", { type: "button", class: "demo-btn", "data-testid": "pg-copy-snippet", onclick: async () => {
      snippetCopied.textContent = (await copyText(snippet)) ? "Snippet copied." : "Select the snippet and copy it.";
    } }, "Copy snippet"),
    snippetCopied,
    w.instance.run ? "" : h("p", { class: "demo-muted" }, "The sandbox is yours alone and is reclaimed a few minutes after everyone has left."));

  // Under `socketlab run` the server is the program's file: no setup to apply or share.
  section.append(h("div", { class: "demo-pg-extras" }, ...(w.instance.run ? [byo] : [setup, share, byo])));
  section.dataset.playgroundReady = "";
}
