/**
 * acks: a client asks the server to put a question to another client and to wait for its
 * answer, at most a timeout (playground/kind_acks.go). Each client answers at once, after 2 s,
 * or never.
 */
import { h, select, field, short, ICON } from "../demo-dom.js";

const SLOW_MS = 2000; // "slow": the answer after this long
const MODES = [["fast", "Answers at once"], ["slow", `Answers after ${SLOW_MS / 1000} s`], ["never", "Never answers"]];
const MODE_WORDS = { fast: "answers questions at once", slow: `answers questions after ${SLOW_MS / 1000} s`, never: "never answers questions" };
const QUESTION = "Are you there?"; // the question when none is given
const TIMEOUT_MS = 1000; // the server's wait when none is given

/** The server's call for an ask, as the demo shows it. */
const askCall = (to, ms, question) => `io.to(${to}'s id).timeout(${ms}).emitWithAck("question", ${question})`;

/**
 * c asks `to` through the server, which waits at most ms for the answer; out (the panel's status
 * line) shows it. Resolves to what came back: {ack: "reply", answers, ms}, {ack: "error", error, ms},
 * or {ack: "none", ms} when the server's ack never came (the page waits ms + 5 s).
 */
async function ask(c, to, question, ms, out) {
  if (out) {
    out.dataset.state = "waiting";
    out.textContent = `${c.name} asks ${to}… ${askCall(to, ms, short(question))}`;
  }
  const t0 = performance.now();
  let fact;
  try {
    // The server answers within ms; the client waits a little longer, so its own timeout never
    // stands in for the server's.
    const res = await c.ackWithin(ms + 5000, "ask", { to, question, timeout: ms });
    const took = Math.round(performance.now() - t0);
    fact = res?.error ? { ack: "error", error: String(res.error), ms: took } : { ack: "reply", answers: res?.answers ?? [], ms: took };
  } catch {
    fact = { ack: "none", ms: Math.round(performance.now() - t0) };
  }
  if (!out) return fact;
  if (fact.ack === "none") {
    out.dataset.state = "error";
    out.textContent = `${ICON.warn} No acknowledgement came back within ${fact.ms} ms.`;
  } else if (fact.ack === "error") {
    out.dataset.state = "error";
    out.textContent = `${ICON.warn} Error after ${fact.ms} ms: ${fact.error}`;
  } else {
    out.dataset.state = "ok";
    out.textContent = `${ICON.received} Answer after ${fact.ms} ms: ${fact.answers.map((a) => short(a, 60)).join(", ") || "(none)"}`;
  }
  return fact;
}

export default {
  name: "acks",

  init() {
    return { out: null }; // the Ask panel's status line
  },

  wire(w, c, socket) {
    socket.on("question", (question, ack) => {
      if (typeof ack !== "function") return;
      const answer = `${c.name}: yes to ${short(question, 24)}`;
      if (c.answerMode === "fast") ack(answer);
      else if (c.answerMode === "slow") setTimeout(() => ack(answer), SLOW_MS);
    });
  },

  panels(w, id) {
    const from = select({ id: id("ask-from"), "data-client-pick": "", "data-testid": "ask-from" }, []);
    const to = select({ id: id("ask-to"), "data-client-pick": "1", "data-testid": "ask-to" }, []);
    const question = h("input", { type: "text", id: id("ask-q"), value: QUESTION, "data-testid": "ask-question" });
    const timeout = h("input", { type: "number", id: id("ask-timeout"), value: String(TIMEOUT_MS), min: "100", max: "10000", step: "100", "data-testid": "ask-timeout" });
    const out = h("p", { class: "demo-answer", role: "status", "data-testid": "ask-result" });
    w.kindState.out = out;
    const form = h("form", { class: "demo-row demo-ask", onsubmit: (e) => {
      e.preventDefault();
      const c = w.clients.find((c) => c.name === from.value);
      if (c?.connected) ask(c, to.value, question.value, Number(timeout.value) || TIMEOUT_MS, out);
    } }, field("Asker", from), field("Ask client", to), field("Question", question), field("Timeout (ms)", timeout),
    h("button", { type: "submit", class: "demo-btn demo-primary", "data-testid": "ask-send" }, "Ask and wait for the ack"));
    return [h("div", {}, form, out)];
  },

  controls(w, c) {
    const mode = select({ "aria-label": `How ${c.name} answers questions`, "data-testid": "client-answer" }, MODES, c.answerMode);
    mode.addEventListener("change", () => (c.answerMode = mode.value));
    c.ui.answer = mode;
    return [field("Acks", mode)];
  },

  /** A predict-the-outcome step (demo-outcome.js): answers: MODE, or ask: CLIENT. */
  outcomeStep(w, c, s) {
    if (s.answers) {
      c.answerMode = s.answers;
      if (c.ui?.answer) c.ui.answer.value = s.answers;
      return Promise.resolve(null);
    }
    if (s.ask) return ask(c, s.ask, s.text ?? QUESTION, s.timeout || TIMEOUT_MS, w.kindState.out);
    return null;
  },

  /** The words for an outcome step of this kind (null: not one of its own). */
  outcomeDescribe(s) {
    if (s.answers) return `${s.client} ${MODE_WORDS[s.answers] ?? s.answers}`;
    if (s.ask) return `${s.client} asks ${s.ask} ${JSON.stringify(s.text ?? QUESTION)}; the server calls ${askCall(s.ask, s.timeout || TIMEOUT_MS, "…")}`;
    return null;
  },
};
