/** chat: a "chat message" goes to everyone, with the sender's name (playground/kind_chat.go). */
import { h, select, field, short } from "../demo-dom.js";

function sendChat(w, c, text, explain) {
  // The row shows the client's emit, then the server's (from the tap).
  w.expectSend(c, c.sockets[0], { event: "chat message", explain: explain ? `socket.emit("chat message", ${short(text)})` : "" });
  c.socket.emit("chat message", text);
}

export default {
  name: "chat",
  composer: { event: "chat message" },

  panels(w, id) {
    const from = select({ id: id("chat-from"), "data-client-pick": "", "data-testid": "chat-from" }, []);
    const text = h("input", { type: "text", id: id("chat-text"), value: "hello", maxlength: "200", "data-testid": "chat-text" });
    return [h("form", { class: "demo-row demo-chat", onsubmit: (e) => {
      e.preventDefault();
      const c = w.clients.find((c) => c.name === from.value);
      if (!c?.connected) return;
      sendChat(w, c, text.value, true);
      w.setStatus(`${c.name} sent a chat message.`);
    } }, field("From", from), field("Message", text), h("button", { type: "submit", class: "demo-btn demo-primary", "data-testid": "chat-send" }, "Send chat message"))];
  },

  say(w, c, text) {
    sendChat(w, c, text, true);
  },

  /** A chat reads as one: "Grace: hi all", not the event's JSON. */
  receivedText(event, args) {
    const m = args[0];
    if (event !== "chat message" || typeof m?.from !== "string" || typeof m?.text !== "string") return undefined;
    return `${m.from}: ${m.text}`;
  },
};
