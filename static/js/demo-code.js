/**
 * demo-code.js: "The server's handlers" of a demo widget (demos.js) as a code editor the student
 * runs on the demo's own hub instance, and the exercises of the page wired to it.
 *
 * - The JavaScript tab is an editor (code-editor.js) holding the demo's handlers as a socket.io
 *   v4 program (the create response's server.js). Run (and Ctrl/Cmd+Enter) POSTs the code to
 *   /play/{id}/code: a syntax error or a top-level exception is marked at its line and the
 *   previous server keeps running; on success the page's clients reconnect at once (not after the
 *   reconnection backoff) and the log, "who got it" and the diagram follow the new server.
 *   Reset restores the original code and runs it.
 * - The edited code is kept in localStorage under the lesson's slug and the demo's id, and the
 *   playground's share link carries it (demo-playground.js).
 * - The Go tab stays read only: the hub's Go equivalent of the original handlers.
 * - wireExercises: each exercise of the page runs in the editor of the demo of its kind next to
 *   it (a demo is added before the exercise when the page has none): "Start the exercise" puts the
 *   starter in that editor; Check runs the editor's code there (exercise.js hooks).
 */
import { h } from "./demo-dom.js";
import { createEditor } from "./code-editor.js";
import { mountExercise } from "./exercise.js";
import { followCodeLang } from "./site.js";

const STORE = "socketlab:code:";

function storageKey(w) {
  const slug = w.section.closest("article[data-lesson]")?.dataset.lesson ?? location.pathname;
  return `${STORE}${slug}:${w.section.dataset.demoId || w.uid}`;
}

function load(key) {
  try {
    const raw = key && localStorage.getItem(key);
    const v = raw ? JSON.parse(raw) : null;
    return v && typeof v.code === "string" ? v : null;
  } catch {
    return null;
  }
}

function save(key, value) {
  if (!key) return;
  try {
    if (value) localStorage.setItem(key, JSON.stringify(value));
    else localStorage.removeItem(key);
  } catch {
    // private mode or a full store: the code stays in the page only
  }
}

/**
 * CodePanel is the editable server of one widget. w.code is it; w.code.run(code) is what the
 * exercises call.
 */
export class CodePanel {
  constructor(w, id) {
    this.w = w;
    this.original = w.instance.server?.js ?? "";
    // socketlab run serves a file: the page shows it but cannot replace it (no /play/{id}/code).
    this.fixed = !!w.instance.run;
    this.key = storageKey(w);
    // A share link's code (w.initialCode, demo-playground.js) wins over the code kept in this browser.
    this.saved = this.fixed ? null : typeof w.initialCode === "string" ? { code: w.initialCode } : load(this.key); // {code, exercise?}
    this.running = null;
    this.exercise = this.saved?.exercise ?? null; // the id of the exercise whose starter is in the editor
    this.el = this.build(id);
  }

  build(id) {
    const code = this.w.instance.server ?? {};
    this.statusEl = h("p", { class: "demo-code-status", role: "status", "data-testid": "code-status" });
    this.runBtn = h("button", { type: "button", class: "demo-btn demo-primary", "data-testid": "code-run", onclick: () => this.runQuietly() }, "▶ Run");
    this.resetBtn = h("button", { type: "button", class: "demo-btn", "data-testid": "code-reset", onclick: () => this.reset() }, "Reset");
    this.host = h("div", { class: "demo-editor", "data-testid": "server-code-js" });
    const tabs = [];
    if (code.js) {
      tabs.push(["js", "JavaScript", [
        this.fixed
          ? h("p", { class: "demo-muted demo-code-what", "data-testid": "code-fixed" }, "The file socketlab run serves: edit it and restart the command to change the server.")
          : h("div", { class: "demo-code-bar" }, this.runBtn, this.resetBtn,
            h("span", { class: "demo-muted demo-code-what" }, "runs on this demo's own server")),
        this.host, this.statusEl]]);
    }
    if (code.go) {
      tabs.push(["go", "Go", [
        h("p", { class: "demo-muted demo-code-note", "data-testid": "server-code-go-note" },
          "The hub's Go equivalent of the original handlers (read only: the editor runs JavaScript, your edits are not translated)."),
        // tabindex -1: the panel is the one tab stop (a scrolling <pre> would be a second).
        h("pre", { tabindex: "-1" }, h("code", { "data-testid": "server-code-go" }, code.go))]]);
    }
    if (!tabs.length) return null;
    const list = h("div", { role: "tablist", class: "demo-tabs", "aria-label": "Server code language" });
    const panels = [];
    const btns = tabs.map(([k, label, body], i) => {
      panels.push(h("div", { role: "tabpanel", id: id("code-" + k), "aria-labelledby": id("tab-" + k), hidden: i !== 0, class: "demo-code demo-code-" + k, tabindex: k === "go" ? "0" : null }, ...body));
      const b = h("button", { type: "button", role: "tab", id: id("tab-" + k), "aria-controls": id("code-" + k), "aria-selected": i === 0 ? "true" : "false", tabindex: i === 0 ? "0" : "-1", "data-testid": "tab-" + k }, label);
      return b;
    });
    const show = (i) => {
      btns.forEach((b, j) => {
        b.setAttribute("aria-selected", String(i === j));
        b.tabIndex = i === j ? 0 : -1;
        panels[j].hidden = i !== j;
      });
    };
    // The tabs follow the language the reader chose anywhere on the site (site.js), and a pick
    // here is that choice too.
    const pick = followCodeLang((lang) => {
      const i = tabs.findIndex(([k]) => k === lang);
      if (i >= 0) show(i);
    });
    const choose = (i) => {
      show(i);
      pick(tabs[i][0]);
      btns[i].focus();
    };
    btns.forEach((b, i) => {
      b.addEventListener("click", () => choose(i));
      b.addEventListener("keydown", (e) => {
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
          e.preventDefault();
          choose((i + (e.key === "ArrowRight" ? 1 : btns.length - 1)) % btns.length);
        }
      });
      list.append(b);
    });
    const head = id("code-h");
    this.headId = head;
    if (code.js) {
      this.editor = createEditor(this.host, {
        value: this.saved?.code ?? this.original,
        label: "The server's code (JavaScript)",
        readOnly: this.fixed,
        onRun: this.fixed ? undefined : () => this.runQuietly(),
        onChange: (v) => this.changed(v),
      });
    }
    this.chooseTab = show; // reveal(): the editor, without changing the reader's language
    this.showEdited();
    // On a phone the panel starts closed (one tap opens it), unless it holds the student's code.
    const narrow = typeof matchMedia === "function" && matchMedia("(max-width: 600px)").matches;
    return h("details", { class: "demo-panel demo-server", open: !narrow || this.edited, "data-testid": "server-code" }, h("summary", { id: head }, "The server's handlers"), list, ...panels);
  }

  get value() {
    return this.editor?.value ?? "";
  }

  /** The code differs from the demo's own handlers. */
  get edited() {
    return !this.fixed && !!this.editor && this.editor.value !== this.original;
  }

  changed(v) {
    save(this.key, v === this.original && !this.exercise ? null : { code: v, exercise: this.exercise ?? undefined });
    this.showEdited();
  }

  showEdited() {
    this.resetBtn.disabled = !this.edited && !this.w.instance.codeRan;
  }

  say(text, state) {
    this.statusEl.textContent = text;
    if (state) this.statusEl.dataset.state = state;
    else delete this.statusEl.dataset.state;
  }

  /** Puts code in the editor (and the store) without running it. */
  setCode(code, exercise = null) {
    this.exercise = exercise;
    this.editor.value = code;
    this.changed(code);
  }

  /**
   * Runs code (default: the editor's) on the demo's hub. Resolves with {path} once the new server
   * accepts connections and the page's clients are reconnecting; rejects with the error shown.
   */
  async run(code = this.value) {
    if (this.running) await this.running.catch(() => {});
    const p = this.runNow(code);
    this.running = p;
    try {
      return await p;
    } finally {
      if (this.running === p) this.running = null;
    }
  }

  async runNow(code) {
    const w = this.w;
    this.editor.clearErrors();
    this.runBtn.disabled = true;
    this.runBtn.setAttribute("aria-busy", "true");
    this.say("Starting your server…", "busy");
    try {
      let res;
      try {
        res = await fetch(`/play/${encodeURIComponent(w.instance.id)}/code`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ code }),
          credentials: "same-origin",
        });
      } catch (err) {
        throw this.fail(`Could not reach the server (${err.message}); the previous server keeps running.`);
      }
      let body = {};
      try {
        body = await res.json();
      } catch {
        body = {};
      }
      if (!res.ok) {
        const msg = body.error ?? `The server answered ${res.status}.`;
        if (res.status === 400 && body.line) {
          this.editor.markError(body.line, body.col, msg.replace(/^server\.js:\d+:\d+:\s*/, ""));
          // The message is under the editor; the status line names the error's kind and the line.
          const kind = /^server\.js:\d+:\d+:\s*(\w*Error)\b/.exec(msg)?.[1] ?? "Error";
          throw this.fail(`Line ${body.line}: ${kind} — the previous server keeps running.`, msg);
        }
        throw this.fail(`${msg} — the previous server keeps running.`, msg);
      }
      w.instance.codeRan = true;
      this.showEdited();
      this.say(code === this.original ? "Running the demo's original code." : "Running your code.", "ok");
      await w.restartClients();
      return { path: body.path ?? w.instance.path };
    } finally {
      this.runBtn.disabled = false;
      this.runBtn.removeAttribute("aria-busy");
    }
  }

  fail(text, message = text) {
    this.say(text, "error");
    return new Error(message);
  }

  /** Run from the page's own controls: the status line and the editor already show any error. */
  runQuietly() {
    this.run().catch(() => {});
  }

  /** Restores the demo's own handlers and runs them. */
  async reset() {
    this.setCode(this.original); // changed() forgets the saved code
    return this.run(this.original).catch(() => {});
  }

  /** Shows the JavaScript tab and moves the focus into the editor. */
  reveal() {
    this.chooseTab?.(0);
    this.el.open = true;
    this.el.scrollIntoView({ block: "nearest" });
    this.editor.focus();
  }
}

// ---------------------------------------------------------------------------------------------
// Exercises
// ---------------------------------------------------------------------------------------------

/**
 * The demo widget an exercise section runs in: the nearest demo of its kind before it, else the
 * first after it; none: a demo of that kind with the exercise's clients is added before it.
 */
function widgetFor(section, kind, widgets, addDemo) {
  let before = null;
  let after = null;
  for (const w of widgets) {
    if (w.kind !== kind) continue;
    if (w.section.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING) before = w;
    else after ??= w;
  }
  return before ?? after ?? addDemo(section, kind);
}

/**
 * wireExercises connects every exercise of root to a demo's editor: widgets are the page's
 * DemoWidgets; addDemo(section, kind, clients) creates and starts one before section.
 */
export function wireExercises(root, widgets, addDemo) {
  for (const section of root.querySelectorAll("section.exercise[data-exercise]")) {
    let config;
    try {
      config = JSON.parse(section.dataset.exercise);
    } catch {
      continue;
    }
    const w = widgetFor(section, config.demo, widgets, (s, kind) => addDemo(s, kind, config.clients));
    if (!w) continue;
    w.needControl?.("code"); // the exercise is written in this demo's editor, whatever the lesson's controls
    const panel = async () => {
      await w.ready;
      if (!w.code?.editor) throw new Error("this demo could not start, so your code has nowhere to run; reload the page");
      return w.code;
    };
    const start = async () => {
      const code = await panel();
      if (code.exercise !== config.id) {
        // Code of the student's own in the editor is not thrown away without asking.
        if (code.edited && !confirm("Replace the code in the demo's editor with the exercise's starter code?")) return;
        code.setCode(config.starter, config.id);
      }
      code.say(`The editor holds your code for “${section.querySelector(".exercise-title")?.textContent.replace(/^\s*Exercise:\s*/, "").trim() || "the exercise"}”. Run it, or press Check below.`);
      code.reveal();
      startBtn.textContent = "Go to your code";
    };
    const startBtn = h("button", { type: "button", class: "button", "data-testid": "exercise-start" }, "Start the exercise");
    startBtn.addEventListener("click", () => start().catch((err) => {
      const st = section.querySelector("[data-exercise-status]");
      if (st) st.textContent = err.message;
    }));
    const actions = section.querySelector("[data-exercise-actions]");
    actions?.prepend(startBtn);
    const where = h("p", { class: "exercise-where demo-muted", "data-testid": "exercise-where" },
      `You write this server in the editor of the demo ${w.section.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING ? "above" : "below"} (“The server's handlers”); Check runs it there and tests it with fresh clients.`);
    actions?.before(where);
    w.ready?.then(() => {
      if (w.code?.exercise === config.id) startBtn.textContent = "Go to your code";
    });
    mountExercise(section, {
      // Before the exercise is started, Check starts it: the starter goes into the editor, so what
      // is checked is what the student sees there; code the student already wrote there is kept.
      getCode: () => (w.code?.editor && (w.code.exercise === config.id || w.code.edited) ? w.code.value : config.starter),
      runCode: async (src) => {
        const code = await panel();
        if (code.exercise !== config.id) {
          code.setCode(src, config.id);
          startBtn.textContent = "Go to your code";
        }
        return code.run(code.value);
      },
    });
  }
}
