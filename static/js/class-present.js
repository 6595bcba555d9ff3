// The instructor's projector view of a class (issue 7). The presenter key arrives once in the URL
// fragment (#key=…), moves to sessionStorage and leaves the address bar, so the projector never
// shows it. Controls go over the "/instructor" namespace; each carries the key again and the server
// checks it per message. Roster, rooms and logs come from the class hub's tap (SSE).

import { io } from "./sio.js";
import { h, prepend, fillSelect, clock, session } from "./class-dom.js";
import { createEditor } from "./code-editor.js";

const root = document.querySelector("[data-class-present]");
if (root) start(root);

function start(root) {
  const code = root.dataset.code;
  const path = root.dataset.path;
  const storeKey = "socketlab:class-key:" + code;
  const $ = (sel) => root.querySelector(sel);
  const status = $("[data-class-status]");
  const controls = $("[data-controls]");

  let key = null;
  const m = /^#key=([A-Za-z0-9_-]{20,})$/.exec(location.hash);
  if (m) {
    key = m[1];
    session.set(storeKey, key);
    history.replaceState(null, "", location.pathname + location.search);
  } else {
    key = session.get(storeKey);
  }
  if (!key) {
    status.textContent = `Projector view of class ${code}. The controls open only in the browser tab that started the class.`;
    return;
  }

  const state = { rooms: 0, tenants: [], students: [], locked: false, byId: new Map() };
  const socket = io("/instructor", { path, auth: { token: key } });
  let tap = null;

  socket.on("connect", async () => {
    // Live, but not reachable: the join box says why (no other device can open its address).
    status.textContent = document.querySelector("[data-testid=class-join-problem]")
      ? "Connected: your class is live, but students cannot join yet: see the warning under the QR code."
      : "Connected: your class is live.";
    controls.hidden = false;
    try {
      const info = await ctl("info", {}, false);
      state.rooms = info.rooms;
      state.tenants = info.tenants || [];
      setLocked(info.locked);
      showCode(info);
      // After a restart of the server the class has a new hub, and its tap a new address.
      const tapURL = new URL(info.tap, location.href).href;
      if (tap && tap.url !== tapURL) {
        tap.close();
        tap = null;
        status.textContent = "The server restarted: your class is back, same code. Students' devices reconnect by themselves.";
      }
      if (!tap) openTap(info.tap);
      refreshSelects();
    } catch (err) {
      status.textContent = "Could not read the class: " + err.message;
    }
  });
  socket.on("connect_error", (err) => {
    status.textContent = err.message === "not authorized" ? "This presenter key is not valid for this class." : "Cannot reach the class: " + err.message;
    controls.hidden = true;
  });
  socket.on("disconnect", (reason) => {
    status.textContent = "Disconnected (" + reason + "): reconnecting…";
  });

  /** One control: resolves with the server's answer, shows its Socket.IO call. */
  async function ctl(ev, args = {}, show = true) {
    const res = await socket.timeout(5000).emitWithAck(ev, { ...args, token: key });
    if (res && res.error) throw new Error(res.error);
    if (show && res && res.call) {
      $("[data-call-js]").textContent = res.call;
      $("[data-call-go]").textContent = res.go || "";
    }
    return res;
  }
  async function act(ev, args, after) {
    try {
      const res = await ctl(ev, args);
      if (after) after(res);
      status.textContent = `${ev}: done` + (res && res.recipients != null ? ` (${res.recipients} socket${res.recipients === 1 ? "" : "s"})` : "");
    } catch (err) {
      status.textContent = `${ev}: ${err.message}`;
    }
  }

  // ---- the wall: the instructor hides their own controls when this screen is the projector,
  // or opens them in a window of their own (for their laptop's screen) and keeps this one for the
  // wall. The key goes to that window in its address's fragment, as it came to this one.
  const wallBtn = $("[data-wall-toggle]");
  wallBtn.hidden = false;
  const setWall = (on) => {
    root.classList.toggle("class-wall", on);
    wallBtn.setAttribute("aria-pressed", String(on));
    wallBtn.textContent = on ? "Show my controls" : "Hide my controls (projector)";
  };
  wallBtn.addEventListener("click", () => setWall(!root.classList.contains("class-wall")));
  const splitBtn = $("[data-controls-window]");
  splitBtn.hidden = false;
  splitBtn.addEventListener("click", () => {
    window.open(location.pathname + "#key=" + key, "_blank", "noopener");
    setWall(true);
    status.textContent = "Your controls are in a new window (if none opened, allow pop-ups for this site): keep it on your own screen, this one on the wall.";
  });

  // ---- the class's server code: Run makes the students' devices clients of the instructor's
  // program (the "run" control); "Back to the class chat" is the "stop" control.
  const codePanel = $("[data-code-panel]");
  const codeMsg = $("[data-code-msg]");
  const modeBadge = $("[data-code-mode]");
  const runBtn = $("[data-code-run]");
  const stopBtn = $("[data-code-stop]");
  let editor = null;
  function setRunning(on) {
    modeBadge.textContent = on ? "your code is running" : "built-in class chat";
    modeBadge.toggleAttribute("data-running", on);
    stopBtn.disabled = !on;
  }
  function showCode(info) {
    codePanel.hidden = false;
    if (!editor) {
      editor = createEditor($("[data-code-editor]"), { value: info.program || info.starter, labelledBy: "code-title", onRun: runCode });
    }
    setRunning(Boolean(info.program));
  }
  function codeStatus(text, error = false) {
    codeMsg.textContent = text;
    codeMsg.toggleAttribute("data-error", error);
  }
  /** Sends one code control; resolves with its answer, or null after showing its error. */
  async function codeControl(ev, args) {
    try {
      const res = await socket.timeout(10000).emitWithAck(ev, { ...args, token: key });
      if (res && res.error) {
        if (res.line) editor.markError(res.line, res.col || 1, res.error, { focus: true });
        codeStatus(res.error, true);
        return null;
      }
      if (res && res.call) {
        $("[data-call-js]").textContent = res.call;
        $("[data-call-go]").textContent = res.go || "";
      }
      return res;
    } catch (err) {
      codeStatus(`${ev}: ${err.message}`, true);
      return null;
    }
  }
  const devices = (n) => `${n} student device${n === 1 ? "" : "s"}`;
  async function runCode() {
    editor.clearErrors();
    codeStatus("Starting your server…");
    const res = await codeControl("run", { code: editor.value });
    if (!res) return;
    setRunning(true);
    codeStatus(`Your code is running: ${devices(res.recipients)} reconnecting to it.`);
  }
  runBtn.addEventListener("click", runCode);
  stopBtn.addEventListener("click", async () => {
    const res = await codeControl("stop", {});
    if (!res) return;
    editor.clearErrors();
    setRunning(false);
    codeStatus(`Back to the class chat: ${devices(res.recipients)} reconnecting.`);
  });

  // ---- controls
  const emitForm = $("[data-emit-form]");
  const toSel = emitForm.elements.to;
  const roomSel = $("[data-room-select]");
  const studentSel = $("[data-student-select]");
  const tenantSel = $("[data-tenant-select]");
  const showTargets = () => {
    roomSel.hidden = toSel.value !== "room";
    studentSel.hidden = toSel.value !== "except";
    tenantSel.hidden = toSel.value !== "tenant";
  };
  toSel.addEventListener("change", showTargets);
  showTargets();
  emitForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = emitForm.elements.text.value;
    act("emit", { to: toSel.value, room: roomSel.value, student: studentSel.value, tenant: tenantSel.value, text }, () => {
      emitForm.elements.text.value = "";
    });
  });
  // One number, two buttons: split everyone at random, or open empty rooms to drag students into.
  $("[data-breakout-form]").addEventListener("submit", (e) => {
    e.preventDefault();
    const n = Number(e.target.elements.rooms.value);
    const empty = e.submitter && e.submitter.hasAttribute("data-open-rooms");
    act(empty ? "openRooms" : "breakout", { rooms: n }, () => {
      state.rooms = n;
      refreshSelects();
      render();
    });
  });
  $("[data-tenants]").addEventListener("click", () =>
    act("tenants", { names: ["red", "blue"] }, () => {
      state.tenants = ["/org-red", "/org-blue"];
      refreshSelects();
      render();
    }),
  );
  const lockBtn = $("[data-lock]");
  function setLocked(v) {
    state.locked = v;
    lockBtn.setAttribute("aria-pressed", String(v));
    lockBtn.textContent = v ? "Unlock sending" : "Lock sending";
  }
  lockBtn.addEventListener("click", () => {
    const v = !state.locked;
    act("lock", { locked: v }, () => setLocked(v));
  });
  $("[data-reset]").addEventListener("click", () =>
    act("reset", {}, () => {
      state.rooms = 0;
      state.tenants = [];
      setLocked(false);
      refreshSelects();
      render();
    }),
  );
  $("[data-follow-form]").addEventListener("submit", (e) => {
    e.preventDefault();
    const sel = e.target.elements.url;
    const label = sel.selectedOptions[0] ? sel.selectedOptions[0].textContent.replace(/^— /, "") : "";
    act("follow", { url: sel.value, title: label });
  });
  $("[data-allow-form]").addEventListener("submit", (e) => {
    e.preventDefault();
    act("allow", { name: e.target.elements.name.value }, () => {
      e.target.elements.name.value = "";
    });
  });
  const endBtn = $("[data-end]");
  endBtn.addEventListener("click", () => {
    if (endBtn.dataset.armed !== "1") {
      endBtn.dataset.armed = "1";
      endBtn.textContent = "Click again to end the class for everyone";
      setTimeout(() => {
        endBtn.dataset.armed = "";
        endBtn.textContent = "End the class";
      }, 5000);
      return;
    }
    act("end", {}, () => {
      session.remove(storeKey);
      controls.hidden = true;
      socket.disconnect();
      if (tap) tap.close();
      status.textContent = "The class has ended. Its code no longer works.";
      root.classList.add("class-ended"); // the wall: no QR, no code, "This class has ended"
    });
  });

  function refreshSelects() {
    const rooms = [];
    for (let i = 1; i <= state.rooms; i++) rooms.push(["room-" + i, "room-" + i]);
    fillSelect(roomSel, rooms);
    fillSelect(studentSel, state.students.map((s) => [s.id, s.name]));
    fillSelect(tenantSel, state.tenants.map((t) => [t.replace("/org-", ""), t]));
  }

  // ---- the tap: roster, rooms, event log, server log
  function openTap(url) {
    tap = new EventSource(url);
    tap.onmessage = (e) => {
      let m;
      try {
        m = JSON.parse(e.data);
      } catch {
        return;
      }
      if (m.type === "state") onState(m);
      else if (m.type === "tap") onTap(m);
      else if (m.type === "log") onLog(m);
    };
  }

  let tenantOf = new Map(); // student name → tenant namespace
  function onState(m) {
    const main = (m.namespaces || []).find((n) => n.name === "/");
    state.students = main ? main.sockets : [];
    state.byId = new Map(state.students.map((s) => [s.id, s]));
    tenantOf = new Map();
    for (const n of m.namespaces || []) {
      if (n.name.startsWith("/org-")) for (const s of n.sockets) tenantOf.set(s.name, n.name);
    }
    for (const s of state.students) {
      for (const r of s.rooms) {
        const k = /^room-(\d+)$/.exec(r);
        if (k && Number(k[1]) > state.rooms) state.rooms = Number(k[1]);
      }
    }
    refreshSelects();
    render();
  }

  const roomOf = (s) => s.rooms.find((r) => /^room-\d+$/.test(r)) || "";

  function render() {
    $("[data-count]").textContent = String(state.students.length);
    const roster = $("[data-roster]");
    const refocus = rosterFocus(roster);
    roster.replaceChildren(
      ...state.students.map((s) => {
        const room = roomOf(s);
        const tenant = tenantOf.get(s.name);
        const move = h("select", { "aria-label": "Move " + s.name, "data-move": s.id }, h("option", { value: "" }, "main room"));
        for (let i = 1; i <= state.rooms; i++) move.append(h("option", { value: "room-" + i }, "room-" + i));
        move.value = room;
        move.addEventListener("change", () => act("move", { student: s.id, room: move.value }));
        const tsel = h("select", { "aria-label": "Tenant of " + s.name, "data-move-tenant": s.id }, h("option", { value: "" }, "no tenant"));
        for (const t of state.tenants) tsel.append(h("option", { value: t.replace("/org-", "") }, t));
        tsel.value = tenant ? tenant.replace("/org-", "") : "";
        tsel.hidden = state.tenants.length === 0;
        tsel.addEventListener("change", () => act("moveTenant", { student: s.id, tenant: tsel.value }));
        const kick = h("button", { type: "button", class: "button class-danger", "data-kick": s.id }, "Remove");
        kick.addEventListener("click", () => act("kick", { student: s.id }));
        return h(
          "li",
          { "data-student": s.name },
          h("span", { class: "class-name" }, s.name),
          h("span", { class: "class-badge" }, room || "main"),
          tenant ? h("span", { class: "class-badge class-tenant" }, tenant) : null,
          move,
          tsel,
          kick,
        );
      }),
    );

    refocus();

    const boxes = [["", "Main room"]];
    for (let i = 1; i <= state.rooms; i++) boxes.push(["room-" + i, "room-" + i]);
    const roomsEl = $("[data-rooms]");
    roomsEl.replaceChildren(
      ...boxes.map(([room, label]) => {
        const members = state.students.filter((s) => roomOf(s) === room);
        const box = h(
          "div",
          { class: "class-room", "data-room": room || "main" },
          h("p", { class: "class-room-title" }, `${label} (${members.length})`),
          h(
            "ul",
            {},
            members.map((s) => chip(s.id, s.name, "room")),
          ),
        );
        // Onto a room: io.in(id).socketsJoin(room). A chip from a tenant box dropped on the main
        // room takes the student out of the tenant.
        dropTarget(box, (id, from) => (from === "tenant" && room === "" ? act("moveTenant", { student: id, tenant: "" }) : act("move", { student: id, room })));
        return box;
      }),
      ...state.tenants.map((t) => {
        const names = [...tenantOf].filter(([, n]) => n === t).map(([name]) => name);
        const box = h(
          "div",
          { class: "class-room class-room-tenant", "data-room": t },
          h("p", { class: "class-room-title" }, `namespace ${t} (${names.length})`),
          h(
            "ul",
            {},
            names.map((n) => {
              const s = state.students.find((x) => x.name === n);
              return s ? chip(s.id, n, "tenant") : h("li", { class: "class-chip" }, n);
            }),
          ),
        );
        dropTarget(box, (id) => act("moveTenant", { student: id, tenant: t.replace("/org-", "") }));
        return box;
      }),
    );
  }

  /**
   * The roster is rebuilt on every change; rosterFocus remembers which of its controls had the
   * keyboard focus and returns a function that gives it back after the rebuild: the same control
   * of the same student, else (that student was removed) the same control of the next one, else
   * the list's heading. Without it, Remove from the keyboard dropped the focus to the page's top.
   */
  function rosterFocus(roster) {
    const el = document.activeElement;
    const li = el && roster.contains(el) ? el.closest("li[data-student]") : null;
    if (!li) return () => {};
    const attr = ["data-kick", "data-move", "data-move-tenant"].find((a) => el.hasAttribute(a));
    const index = [...roster.children].indexOf(li);
    const name = li.dataset.student;
    return () => {
      const items = [...roster.children];
      const target = items.find((x) => x.dataset.student === name) ?? items[Math.min(index, items.length - 1)];
      const next = target && attr ? target.querySelector(`[${attr}]`) : null;
      if (next) next.focus();
      else $("#roster-title").focus();
    };
  }

  /** A student's name to drag; from says which kind of box it is in ("room" or "tenant"). */
  function chip(id, name, from) {
    const el = h("li", { class: "class-chip", draggable: true, "data-chip": id, title: "Drag onto a room or a namespace (or use the Move menu in the roster)" }, name);
    el.addEventListener("dragstart", (e) => {
      e.dataTransfer.setData("text/plain", id);
      e.dataTransfer.setData("application/x-socketlab-from", from);
      e.dataTransfer.effectAllowed = "move";
    });
    return el;
  }

  /** Makes box accept a dropped student chip; onDrop(id, from) runs for a student in the class. */
  function dropTarget(box, onDrop) {
    box.addEventListener("dragover", (e) => {
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      box.classList.add("class-drop-over");
    });
    box.addEventListener("dragleave", () => box.classList.remove("class-drop-over"));
    box.addEventListener("drop", (e) => {
      e.preventDefault();
      box.classList.remove("class-drop-over");
      const id = e.dataTransfer.getData("text/plain");
      if (state.byId.has(id)) onDrop(id, e.dataTransfer.getData("application/x-socketlab-from"));
    });
  }

  function onTap(m) {
    const who = m.name || (m.socket ? m.socket.slice(0, 6) : "");
    let text;
    switch (m.kind) {
      case "connect":
        text = `${who} connected to ${m.nsp}`;
        break;
      case "disconnect":
        text = `${who} left ${m.nsp} (${m.reason})`;
        break;
      case "connect_error":
        text = `connect refused on ${m.nsp}: ${m.err || m.reason || ""}`;
        break;
      case "join":
      case "leave":
        if (m.room === m.socket) return;
        text = `${who} ${m.kind === "join" ? "joined" : "left"} ${m.room}`;
        break;
      case "event_in":
        if (m.nsp === "/instructor") return; // the instructor's own controls: shown as calls
        text = `${who} → ${m.event}` + (m.err ? ` (refused: ${m.err})` : "");
        break;
      case "event_out": {
        const scope = m.rooms && m.rooms.length ? `to ${m.rooms.join(", ")}` : m.except && m.except.length ? "to all but one" : "to everyone";
        const n = m.recipientCount ?? (m.recipients ? m.recipients.length : 0); // recipients lists the first 64
        text = `${m.nsp} emit ${m.event} ${scope}: ${n} recipient${n === 1 ? "" : "s"}`;
        if (m.nsp !== "/instructor") showRecipients(m);
        break;
      }
      default:
        return;
    }
    prepend($("[data-events]"), h("li", {}, h("time", {}, clock(new Date(m.time))), " ", text));
  }

  /** The last message's recipients by name, as the room sees them (under the call). */
  function showRecipients(m) {
    const names = (m.recipients || []).map((id) => state.byId.get(id)?.name ?? id.slice(0, 6));
    const el = $("[data-call-recipients]");
    el.replaceChildren(
      h("span", { class: "class-call-label" }, `${m.event} reached ${names.length === 0 ? "nobody" : names.length === 1 ? "1 student" : names.length + " students"}`),
      ...names.map((n) => h("span", { class: "class-chip class-recipient" }, n)),
    );
    el.hidden = false;
  }

  function onLog(m) {
    if (m.msg === "a student reconnected" && m.attrs) {
      // classroom/students.go: the same device is back (a reload, a dropped network), in its room.
      const where = m.attrs.room ? ` (back in ${m.attrs.room})` : "";
      prepend($("[data-events]"), h("li", { class: "class-reconnect", "data-testid": "class-reconnect" }, h("time", {}, clock(new Date(m.time))), ` ↻ ${m.attrs.client} reconnected${where}`));
    }
    if (m.attrs && m.attrs.source === "console") {
      // The program's console.log and its errors: on the wall beside the code.
      const list = $("[data-console]");
      list.append(h("li", { class: "class-log-" + String(m.level).toLowerCase() }, h("time", {}, clock(new Date(m.time))), " ", m.msg));
      while (list.children.length > 200) list.firstElementChild.remove();
      list.scrollTop = list.scrollHeight;
      return;
    }
    const attrs = Object.entries(m.attrs || {})
      .filter(([k]) => k !== "instance")
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    prepend($("[data-serverlog]"), h("li", { class: "class-log-" + String(m.level).toLowerCase() }, h("time", {}, clock(new Date(m.time))), ` ${m.level} ${m.msg} ${attrs}`));
  }
}
