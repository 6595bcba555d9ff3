/**
 * demo-outcome.js: predict the outcome (`outcome:` in a demo block, docs/authoring.md).
 *
 * The student picks one of the author's choices, the page plays the scenario live (the real
 * clients and the real hub, so the columns, the log and "who got it" show it happening), OBSERVES
 * what happens (every event each client receives, what each ask got back, the server's queue) and
 * grades by the one choice whose expected facts all hold. Nothing in the config says which choice
 * is right: when no choice or several match what was observed, the page says the demo misbehaved
 * and grades nothing.
 */
import { h, short, ICON } from "./demo-dom.js";

const QUIET_MS = 400; // the run ends once nothing has arrived for this long…
const SETTLE_MAX_MS = 8000; // …after the kind's own work is done, or this long at most

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const q = (s) => JSON.stringify(String(s));

/** What the page saw while a scenario played. */
class Observation {
  constructor() {
    this.counts = new Map(); // client name → Map(event → times received)
    this.acks = new Map(); // client name → {ack: "reply"|"error", error, answers, ms} of its last ask
    this.queued = new Map(); // client name → jobs left in the server's queue (queue demo)
    this.last = performance.now();
  }

  receipt(name, event) {
    const m = this.counts.get(name) ?? new Map();
    m.set(event, (m.get(event) ?? 0) + 1);
    this.counts.set(name, m);
    this.last = performance.now();
  }

  times(name, event) {
    return this.counts.get(name)?.get(event) ?? 0;
  }

  /** Whether every fact of expect holds. */
  matches(e) {
    const a = this.acks.get(e.client);
    if (e.ack !== undefined && a?.ack !== e.ack) return false;
    if (e.error !== undefined && a?.error !== e.error) return false;
    if (e.answers !== undefined && a?.answers?.length !== e.answers) return false;
    if (e.receives !== undefined && this.times(e.client, e.receives) !== e.times) return false;
    if (e.queued !== undefined && (this.queued.get(e.client) ?? 0) !== e.queued) return false;
    return true;
  }

  /** What actually happened, in words, for the facts expect is about. */
  describe(e) {
    const out = [];
    if (e.ack !== undefined || e.error !== undefined || e.answers !== undefined) {
      const a = this.acks.get(e.client);
      if (!a) out.push(`${e.client} never asked`);
      else if (a.ack === "none") out.push(`no acknowledgement came back to ${e.client} within ${a.ms} ms`);
      else if (a.ack === "error") out.push(`${e.client}'s callback got the error ${q(a.error)} after ${a.ms} ms`);
      else out.push(`${e.client}'s callback got a reply after ${a.ms} ms, ` +
        (a.answers.length ? `with the answers ${a.answers.map((x) => q(short(typeof x === "string" ? x : JSON.stringify(x), 40))).join(", ")}` : "with no answers"));
    }
    if (e.receives !== undefined) {
      const n = this.times(e.client, e.receives);
      // A count of messages, not "twice": two jobs delivered once each are two "delivery" messages.
      out.push(n === 0 ? `${e.client} received no ${q(e.receives)} message` : `${e.client} received ${n} ${q(e.receives)} message${n === 1 ? "" : "s"} in all`);
    }
    if (e.queued !== undefined) {
      const n = this.queued.get(e.client) ?? 0;
      out.push(n === 0 ? `${e.client}'s queue on the server is empty` : `${n} job${n === 1 ? "" : "s"} still wait in ${e.client}'s queue on the server`);
    }
    return out;
  }
}

/** The "predict the outcome" panel of widget w: its question, scenario, choices and grade. */
export class OutcomePanel {
  constructor(w, id) {
    this.w = w;
    this.p = w.cfg.outcome;
    this.steps = h("ol", { class: "demo-steps", "data-testid": "outcome-steps" },
      this.p.steps.map((s, i) => h("li", { "data-step": String(i) }, this.describe(s))));
    this.choices = this.p.choices.map((c, i) =>
      h("label", { class: "demo-check demo-choice" },
        h("input", { type: "radio", name: id("outcome"), value: String(i), "data-testid": "outcome-choice-" + i }), h("span", {}, c.text)));
    this.result = h("p", { class: "demo-grade", role: "status", "data-testid": "outcome-result" });
    this.runBtn = h("button", { type: "submit", class: "demo-btn demo-primary", "data-testid": "outcome-run" }, "Lock my answer and run it");
    this.again = h("button", { type: "button", class: "demo-btn", hidden: true, "data-testid": "outcome-again", onclick: () => this.reset() }, "Try again");
    this.el = h("form", { class: "demo-panel demo-predict demo-outcome", "aria-labelledby": id("outcome-h"), "data-testid": "outcome", onsubmit: (e) => {
      e.preventDefault();
      this.run();
    } },
    h("h3", { class: "demo-h", id: id("outcome-h") }, "Predict, then run"),
    h("p", { class: "demo-question" }, this.p.question),
    h("details", { class: "demo-more" }, h("summary", {}, "The steps it plays"), this.steps),
    h("fieldset", {}, h("legend", {}, "Pick what will happen"), h("div", { class: "demo-outcome-choices", "data-testid": "outcome-choices" }, this.choices)),
    h("div", { class: "demo-buttons" }, this.runBtn, this.again), this.result);
  }

  /** A step in words: the kind's own (outcomeDescribe), else the widget's. */
  describe(s) {
    return this.w.kindDef.outcomeDescribe?.(s) ?? this.w.describeStep(s);
  }

  inputs() {
    return this.choices.map((l) => l.querySelector("input"));
  }

  reset() {
    this.again.hidden = true;
    this.runBtn.hidden = false;
    this.runBtn.disabled = false;
    this.result.textContent = "";
    delete this.result.dataset.state;
    for (const b of this.inputs()) {
      b.disabled = false;
      b.checked = false;
    }
    for (const l of this.choices) {
      delete l.dataset.outcome;
      l.querySelector(".demo-outcome-mark")?.remove();
    }
    for (const li of this.steps.children) delete li.dataset.state;
  }

  async run() {
    const picked = this.inputs().findIndex((b) => b.checked);
    if (picked < 0) {
      this.result.dataset.state = "wrong";
      this.result.textContent = "Pick one answer first.";
      return;
    }
    for (const b of this.inputs()) b.disabled = true;
    this.runBtn.disabled = true;
    delete this.result.dataset.state;
    this.result.textContent = "Answer locked. Running…";
    const obs = new Observation();
    this.w.observing = obs;
    try {
      await this.play(obs);
    } catch (err) {
      this.result.dataset.state = "misbehaved";
      this.result.textContent = `${ICON.warn} The demo misbehaved: a step failed (${err.message}). Your answer is not graded.`;
      this.showAgain();
      return;
    } finally {
      this.w.observing = null;
    }
    this.grade(picked, obs);
    this.showAgain();
  }

  /** After a run: "Try again" takes the place of the locked Run button. */
  showAgain() {
    const focused = document.activeElement === this.runBtn;
    this.runBtn.hidden = true;
    this.again.hidden = false;
    if (focused) this.again.focus(); // the keyboard stays in the panel
  }

  async play(obs) {
    const w = this.w;
    const lis = [...this.steps.children];
    for (const [i, s] of this.p.steps.entries()) {
      lis[i].dataset.state = "next";
      const c = w.clients.find((c) => c.name === s.client);
      if (!c) throw new Error(`no client ${s.client}`);
      const own = w.kindDef.outcomeStep?.(w, c, s);
      if (own) {
        const fact = await own;
        if (s.ask) obs.acks.set(c.name, fact);
      } else {
        await w.runStep(s);
      }
      lis[i].dataset.state = "done";
    }
    // The kind's own work (a queue flushing), then nothing more arriving.
    const until = performance.now() + SETTLE_MAX_MS;
    const settled = w.kindDef.outcomeSettled;
    if (settled) while (!settled(w, this.p.steps) && performance.now() < until) await sleep(50);
    for (let quiet; (quiet = performance.now() - obs.last) < QUIET_MS && performance.now() < until;) await sleep(QUIET_MS - quiet);
    for (const c of w.clients) obs.queued.set(c.name, w.kindState?.server?.[c.name] ?? 0);
  }

  grade(picked, obs) {
    const choices = this.p.choices;
    const hits = choices.map((c, i) => (obs.matches(c.expect) ? i : -1)).filter((i) => i >= 0);
    const mark = (i, state, text) => {
      this.choices[i].dataset.outcome = state;
      this.choices[i].lastChild.append(h("span", { class: "demo-outcome-mark" }, text));
    };
    for (const i of hits) mark(i, "happened", "← what happened");
    const facts = (list) => [...new Set(list.flatMap((c) => obs.describe(c.expect)))];
    if (hits.length !== 1) {
      this.result.dataset.state = "misbehaved";
      this.result.textContent = `${ICON.warn} The demo misbehaved: ${hits.length === 0 ? "no choice matches" : `${hits.length} choices match`} what happened (` +
        facts(choices).join("; ") + "). Your answer is not graded.";
      return;
    }
    const right = hits[0];
    if (picked === right) {
      this.result.dataset.state = "correct";
      this.result.textContent = `${ICON.received} Correct: ${facts([choices[right]]).join("; ")}.`;
    } else {
      this.result.dataset.state = "wrong";
      mark(picked, "picked", "← your answer");
      this.result.textContent = `✘ Not quite: ${facts([choices[right], choices[picked]]).join("; ")}.`;
    }
  }
}
