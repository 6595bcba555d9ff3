/**
 * acks: a client asks the server to put a question to another client and to wait for its
 * answer, at most a timeout (playground/kind_acks.go). Each client answers at once, after 2 s,
 * or never.
 */
import { h, select, field, short, ICON } from "../demo-dom.js";

export default {
  name: "acks",

  wire(w, c, socket) {
    socket.on("question", (question, ack) => {
      if (typeof ack !== "function") return;
      const answer = `${c.name}: yes to ${short(question, 24)}`;
      if (c.answerMode === "fast") ack(answer);
      else if (c.answerMode === "slow") setTimeout(() => ack(answer), 2000);
    });
  },

  panels(w, id) {
    const from = select({ id: id("ask-from"), "data-client-pick": "", "data-testid": "ask-from" }, []);
    const to = select({ id: id("ask-to"), "data-client-pick": "1", "data-testid": "ask-to" }, []);
    const question = h("input", { type: "text", id: id("ask-q"), value: "Are you there?", "data-testid": "ask-question" });
    const timeout = h("input", { type: "number", id: id("ask-timeout"), value: "1000", min: "100", max: "10000", step: "100", "data-testid": "ask-timeout" });
    const out = h("p", { class: "demo-answer", role: "status", "data-testid": "ask-result" });
    const form = h("form", { class: "demo-row demo-ask", onsubmit: async (e) => {
      e.preventDefault();
      const c = w.clients.find((c) => c.name === from.value);
      if (!c?.connected) return;
      const ms = Number(timeout.value) || 1000;
      out.dataset.state = "waiting";
      out.textContent = `${c.name} asks ${to.value}… io.to(${to.value}'s id).timeout(${ms}).emitWithAck("question", ${short(question.value)})`;
      const t0 = performance.now();
      try {
        const res = await c.ack("ask", { to: to.value, question: question.value, timeout: ms });
        const took = Math.round(performance.now() - t0);
        if (res?.error) {
          out.dataset.state = "error";
          out.textContent = `${ICON.warn} Error after ${took} ms: ${res.error}`;
        } else {
          out.dataset.state = "ok";
          out.textContent = `${ICON.received} Answer after ${took} ms: ${(res?.answers ?? []).map((a) => short(a, 60)).join(", ") || "(none)"}`;
        }
      } catch (err) {
        out.dataset.state = "error";
        out.textContent = `${ICON.warn} ${err.message}`;
      }
    } }, field("Asker", from), field("Ask client", to), field("Question", question), field("Timeout (ms)", timeout),
    h("button", { type: "submit", class: "demo-btn demo-primary", "data-testid": "ask-send" }, "Ask and wait for the ack"));
    return [h("div", {}, form, out)];
  },

  controls(w, c) {
    const mode = select({ "aria-label": `How ${c.name} answers questions`, "data-testid": "client-answer" },
      [["fast", "Answers at once"], ["slow", "Answers after 2 s"], ["never", "Never answers"]], c.answerMode);
    mode.addEventListener("change", () => (c.answerMode = mode.value));
    return [field("Acks", mode)];
  },
};
