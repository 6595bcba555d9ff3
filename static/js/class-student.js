// A student's phone-sized client of a class (issue 7): pick a name, then messages received, a
// composer, the rooms you are in, and "follow me" (the lesson section the instructor shows).
// Every name and message is set with textContent only.

import { io } from "./sio.js";
import { h, clock, session } from "./class-dom.js";

const root = document.querySelector("[data-class-student]");
if (root) start(root);

function start(root) {
  const code = root.dataset.code;
  const path = root.dataset.path;
  const nameKey = "socketlab:class-name:" + code;
  // A random claim made once per tab and sent on every (re)connection: after a dropped connection
  // the class keeps our name for this claim a while, so nobody else takes it in the meantime.
  const claimKey = "socketlab:class-claim:" + code;
  let claim = session.get(claimKey);
  if (!claim) {
    claim = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    session.set(claimKey, claim);
  }
  const $ = (sel) => root.querySelector(sel);
  const form = $("[data-name-form]");
  const nameErr = $("[data-name-error]");
  const client = $("[data-client]");
  const status = $("[data-student-status]");
  const list = $("[data-messages]");
  const composer = $("[data-composer]");
  let socket = null;
  let tenant = null; // the tenant namespace's socket, when the instructor moved us into one
  let name = "";
  let where = { rooms: [], tenant: "" };
  let restarting = false;
  // The events this page has a view for; a program's other events are listed as they come.
  const known = new Set(["welcome", "msg", "rooms", "locked", "tenant", "follow", "reset", "kicked", "refused", "ended"]);
  const show = (v) => {
    if (typeof v === "string") return JSON.stringify(v);
    try {
      return JSON.stringify(v) ?? String(v);
    } catch {
      return String(v);
    }
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    join(form.elements.name.value);
  });
  // A name typed before this script ran arrives as ?name= (the form's plain GET): use it once.
  const params = new URLSearchParams(location.search);
  const typed = params.get("name");
  if (typed !== null) history.replaceState(null, "", location.pathname);
  const saved = typed || session.get(nameKey);
  if (saved) {
    form.elements.name.value = saved;
    join(saved);
  }
  root.dataset.ready = "";

  function join(wanted) {
    if (socket) socket.disconnect();
    name = "";
    nameErr.textContent = "";
    socket = io("/", { path, auth: { name: wanted, code, claim }, forceNew: true });
    socket.on("connect_error", (err) => {
      // No answer from the server (it is restarting, or the network is down): the socket keeps
      // trying with its backoff; the name stays.
      if (err.type === "TransportError" && name) {
        status.textContent = "Connection lost: reconnecting…";
        return;
      }
      // The instructor's program was stopped by a limit (or is swamped): not about the name.
      // Keep it and try again until the instructor runs fixed code or goes back to the chat.
      if (err.message === "server program stopped" || err.message === "server busy") {
        status.textContent = nameErr.textContent = "The class's server code stopped. Waiting for your instructor to restart it…";
        setTimeout(() => socket && !socket.connected && socket.connect(), 3000);
        return;
      }
      nameErr.textContent = err.message;
      session.remove(nameKey);
      form.hidden = false;
      client.hidden = true;
    });
    socket.on("welcome", (w) => {
      name = w.name;
      session.set(nameKey, name);
      $("[data-me]").textContent = name;
      form.hidden = true;
      client.hidden = false;
      setLocked(w.locked);
      if (w.follow) follow(w.follow);
      // The built-in chat welcomes; after a restart that is news worth keeping on screen.
      if (w.back) {
        // The server itself restarted and the class came back: the student is where they were.
        const where = w.rooms && w.rooms.length ? w.rooms.join(", ") : "the main room";
        status.textContent = `The server restarted: you are back in the class, in ${where}.`;
        status.classList.add("class-restart");
      } else if (w.rejoined && !status.classList.contains("class-restart")) {
        // A reload or a dropped network: the same device is back within the name's hold.
        const where = w.rooms && w.rooms.length ? w.rooms.join(", ") : "the main room";
        status.textContent = `Reconnected: you are back in the class, in ${where}.`;
      } else {
        status.textContent = status.classList.contains("class-restart") ? "The server restarted: you are back in the class chat." : "";
      }
    });
    socket.on("msg", (m) => addMessage(m, ""));
    socket.on("rooms", (r) => {
      where = { rooms: r.rooms || [], tenant: r.tenant || "" };
      showWhere();
    });
    socket.on("locked", setLocked);
    socket.on("tenant", (t) => enterTenant(t.nsp, t.ticket));
    socket.on("follow", follow);
    socket.on("reset", () => {
      status.textContent = "The instructor reset the class: everyone is back in the main room.";
    });
    socket.on("kicked", () => {
      session.remove(nameKey);
      status.textContent = "The instructor removed you from the class.";
      composer.hidden = true;
      socket.disconnect(); // no reconnecting: the name is refused until the instructor allows it
    });
    socket.on("refused", (r) => {
      nameErr.textContent = r.error;
    });
    socket.on("ended", () => {
      session.remove(nameKey);
      status.textContent = "The class has ended. Thanks for joining!";
      composer.hidden = true;
      socket.disconnect();
    });
    socket.on("disconnect", (reason) => {
      if (reason === "io server disconnect") {
        composer.hidden = true;
        if (!status.textContent) status.textContent = "You are no longer connected to the class.";
      } else if (reason !== "io client disconnect") {
        // "transport close" is the server closing the connection: a restart (a Run or Stop).
        restarting = reason === "transport close";
        status.classList.remove("class-restart");
        status.textContent = "Connection lost: reconnecting…";
      }
    });
    // The class checked the name once the connection is up. A program the instructor runs sends
    // no welcome, so the client opens here.
    socket.on("connect", () => {
      if (!name) name = wanted.trim().replace(/\s+/g, " ");
      $("[data-me]").textContent = name;
      session.set(nameKey, name);
      form.hidden = true;
      client.hidden = false;
      composer.hidden = false;
      if (restarting) {
        restarting = false;
        status.textContent = "The server restarted: you are connected to the new server.";
        status.classList.add("class-restart");
      } else if (status.textContent.startsWith("Connection lost")) status.textContent = "";
    });
    // Whatever else a program emits, shown as it arrived.
    socket.onAny((ev, ...args) => {
      if (known.has(ev)) return;
      addMessage({ from: "server", to: "you", text: `${ev} ${args.map(show).join(", ")}` }, "", "class-msg-program");
    });
  }

  function showWhere() {
    const parts = [where.rooms.length ? where.rooms.join(", ") : "main room"];
    if (where.tenant) parts.push("namespace " + where.tenant);
    $("[data-rooms-line]").textContent = parts.join(" · ");
  }

  function enterTenant(nsp, ticket) {
    if (tenant) {
      tenant.disconnect();
      tenant = null;
    }
    if (!nsp) return;
    tenant = io(nsp, { path, auth: { name, code, ticket }, reconnection: false });
    tenant.on("msg", (m) => addMessage(m, nsp));
    tenant.on("connect_error", (err) => {
      status.textContent = `Could not enter ${nsp}: ${err.message}`;
    });
  }

  function setLocked(v) {
    $("[data-lock-line]").hidden = !v;
    for (const el of composer.elements) el.disabled = Boolean(v);
  }

  function addMessage(m, nsp, extra = "") {
    const mine = m.from === name;
    const cls = mine ? "class-msg class-msg-mine" : m.from === "Instructor" ? "class-msg class-msg-instructor" : "class-msg";
    const item = h(
      "li",
      { class: extra ? cls + " " + extra : cls, "data-msg": "" },
      h("p", { class: "class-msg-meta" }, h("strong", {}, String(m.from ?? "server")), ` → ${m.to || "you"}${nsp ? " (" + nsp + ")" : ""} · ${clock()}`),
      h("p", { class: "class-msg-text", "data-msg-text": "" }, typeof m.text === "string" ? m.text : show(m.text)),
    );
    list.append(item);
    while (list.children.length > 200) list.firstElementChild.remove();
    item.scrollIntoView({ block: "nearest" });
  }

  composer.addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = composer.elements.text;
    const via = tenant && tenant.connected ? tenant : socket;
    try {
      const res = await via.timeout(5000).emitWithAck("say", { text: input.value });
      if (res && res.error) {
        status.textContent = res.error;
        return;
      }
      input.value = "";
      if (!status.classList.contains("class-restart")) status.textContent = ""; // the restart note stays
    } catch (err) {
      status.textContent = "Not sent: " + err.message;
    }
  });

  // ---- follow me: show the lesson section the instructor is on, inside this page (the class
  // connection stays open). Only our own lesson pages are embedded; anything else is a link.
  const lessonCache = new Map();
  async function follow(f) {
    const box = $("[data-follow]");
    const link = $("[data-follow-link]");
    const content = $("[data-follow-content]");
    box.hidden = false;
    link.href = f.url;
    link.textContent = f.title || f.url;
    const u = new URL(f.url, location.origin);
    if (u.origin !== location.origin || !u.pathname.startsWith("/lessons/")) {
      content.replaceChildren();
      return;
    }
    try {
      let body = lessonCache.get(u.pathname);
      if (!body) {
        const resp = await fetch(u.pathname, { credentials: "same-origin" });
        if (!resp.ok) throw new Error("HTTP " + resp.status);
        const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
        body = doc.querySelector(".lesson-body") || doc.querySelector("article");
        if (!body) throw new Error("no lesson content");
        for (const s of body.querySelectorAll("script, form, .demo")) s.remove();
        lessonCache.set(u.pathname, body);
      }
      content.replaceChildren(document.importNode(body, true));
      const id = decodeURIComponent(u.hash.slice(1));
      const target = id ? content.querySelector(`[id="${CSS.escape(id)}"]`) : content.firstElementChild;
      if (target) target.scrollIntoView({ block: "start", behavior: "smooth" });
      box.dataset.url = f.url;
    } catch (err) {
      content.replaceChildren(h("p", {}, "Open the link to follow along (" + err.message + ")."));
    }
  }
}
