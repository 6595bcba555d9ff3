/**
 * exercise.js: the panel of a lesson's ```exercise block (templates/exercise.templ): the goal,
 * hints revealed one at a time, Check (runs the student's code, then the checks, and lists
 * each result in plain words), Show solution. A passed exercise is remembered with the
 * lesson's progress (site.js). Everything from the student or the server is set with
 * textContent, never as HTML.
 *
 *   import { mountExercise } from "./exercise.js";
 *   mountExercise(section, {
 *     getCode: () => editor.value,                    // the student's current server code
 *     runCode: async (code) => ({ path: "/play/ab12/socket.io/" }),  // run it on the demo's hub
 *   });
 *
 * HOOK FOR THE LEAD: `runCode(code) → Promise<{path, url?}>` runs `code` on the demo instance's
 * hub (the editor's Run) and resolves once the new server accepts connections, with the
 * Socket.IO path of that hub (and an origin in `url`, default this page's). It rejects with an
 * Error whose message is shown as is (a syntax error with its line, say). `getCode()` returns
 * the editor's code. Until they are wired, the panel shows its own plain code box holding the
 * starter code, and Check says that running code needs the demo's editor.
 */
import { io } from "./sio.js";
import { runChecks } from "./exercise-check.js";
import { exercisePassed, setExercisePassed } from "./site.js";

const mounted = new WeakMap();

/** Sets up one section.exercise; returns its controller ({check, destroy}). Idempotent. */
export function mountExercise(section, hooks = {}) {
  const existing = mounted.get(section);
  if (existing) {
    existing.setHooks(hooks);
    return existing;
  }
  let config;
  try {
    config = JSON.parse(section.dataset.exercise);
  } catch {
    return null;
  }
  const slug = section.closest("article[data-lesson]")?.dataset.lesson ?? "";
  const status = section.querySelector("[data-exercise-status]");
  const results = section.querySelector("[data-exercise-results]");
  const actions = section.querySelector("[data-exercise-actions]");
  const checkButton = section.querySelector("[data-exercise-check]");
  const hintButton = section.querySelector("[data-exercise-hint]");
  const solutionButton = section.querySelector("[data-exercise-show-solution]");
  const solution = section.querySelector("[data-exercise-solution-code]");
  const hints = [...section.querySelectorAll("[data-hint]")];
  let current = { ...hooks };
  let running = false;
  let box = null; // the fallback code box, while no editor is connected

  const say = (text) => {
    if (status) status.textContent = text;
  };
  const showPassed = () => {
    section.dataset.passed = "true";
    say("✓ Passed: every check holds. (Remembered in this browser.)");
  };

  const ensureBox = () => {
    if (current.getCode || box) return;
    box = document.createElement("textarea");
    box.className = "exercise-code";
    box.spellcheck = false;
    box.wrap = "off"; // code keeps its lines; the box scrolls sideways
    box.setAttribute("aria-label", "Your server code (JavaScript)");
    box.dataset.testid = "exercise-code";
    box.rows = Math.min(24, config.starter.split("\n").length + 1);
    box.value = config.starter;
    actions?.before(box);
  };
  const setHooks = (h) => {
    current = { ...current, ...h };
    if (current.getCode && box) {
      box.remove();
      box = null;
    }
  };

  const renderResults = (list) => {
    const items = list.map((r) => {
      const li = document.createElement("li");
      li.className = r.passed ? "exercise-result passed" : "exercise-result failed";
      li.dataset.testid = "exercise-result";
      const head = document.createElement("p");
      head.className = "exercise-result-name";
      head.textContent = `${r.passed ? "✓" : "✗"} ${r.name}`;
      li.append(head);
      const ul = document.createElement("ul");
      for (const line of r.lines) {
        const item = document.createElement("li");
        item.className = line.ok ? "ok" : "bad";
        item.textContent = line.text;
        ul.append(item);
      }
      li.append(ul);
      return li;
    });
    results?.replaceChildren(...items);
  };

  const check = async () => {
    if (running) return null;
    running = true;
    checkButton?.setAttribute("aria-busy", "true");
    if (checkButton) checkButton.disabled = true;
    results?.replaceChildren();
    try {
      const code = current.getCode ? current.getCode() : box ? box.value : config.starter;
      if (!current.runCode) {
        say("Running your code needs the demo's code editor, which this page does not have yet.");
        return null;
      }
      say("Running your server…");
      const server = await current.runCode(code);
      say(`Checking ${config.checks.length} scenario${config.checks.length === 1 ? "" : "s"}…`);
      const list = await runChecks({
        io: current.io ?? io,
        url: server?.url ?? "",
        path: server.path,
        clients: config.clients,
        checks: config.checks,
      });
      renderResults(list);
      const failed = list.filter((r) => !r.passed).length;
      if (failed === 0) {
        if (slug) setExercisePassed(slug, config.id);
        showPassed();
      } else {
        delete section.dataset.passed;
        say(`${failed} of ${list.length} check${list.length === 1 ? "" : "s"} failed: see below.`);
      }
      return list;
    } catch (err) {
      say(`Your server did not start: ${err?.message ?? err}`);
      return null;
    } finally {
      running = false;
      checkButton?.removeAttribute("aria-busy");
      if (checkButton) checkButton.disabled = false;
    }
  };

  let shown = 0;
  const nextHint = () => {
    if (shown < hints.length) hints[shown++].hidden = false;
    if (hintButton) {
      hintButton.textContent = shown < hints.length ? `Show hint ${shown + 1} of ${hints.length}` : "No more hints";
      hintButton.disabled = shown >= hints.length;
    }
  };
  const toggleSolution = () => {
    if (!solution) return;
    solution.hidden = !solution.hidden;
    solutionButton.textContent = solution.hidden ? "Show solution" : "Hide solution";
    solutionButton.setAttribute("aria-expanded", String(!solution.hidden));
  };

  checkButton?.addEventListener("click", check);
  hintButton?.addEventListener("click", nextHint);
  solutionButton?.addEventListener("click", toggleSolution);
  if (hintButton && hints.length) hintButton.textContent = `Show hint 1 of ${hints.length}`;
  solutionButton?.setAttribute("aria-expanded", "false");
  if (actions) actions.hidden = false;
  ensureBox();
  if (slug && exercisePassed(slug, config.id)) showPassed();
  else say(`Not passed yet. ${config.checks.length} check${config.checks.length === 1 ? "" : "s"} to pass.`);

  const controller = {
    config,
    check,
    setHooks,
    destroy() {
      checkButton?.removeEventListener("click", check);
      hintButton?.removeEventListener("click", nextHint);
      solutionButton?.removeEventListener("click", toggleSolution);
      box?.remove();
      mounted.delete(section);
    },
  };
  mounted.set(section, controller);
  return controller;
}

/** Mounts every exercise of the page with the same hooks (none: the fallback code box). */
export function mountExercises(root = document, hooks = {}) {
  return [...root.querySelectorAll("section.exercise[data-exercise]")].map((s) => mountExercise(s, hooks)).filter(Boolean);
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => mountExercises(), { once: true });
  else mountExercises();
}
