// Listener management: once fires a single time, off removes one handler, onAny sees every
// incoming event (before the specific handlers), offAny stops it, onAnyOutgoing sees our emits.
io.on("connection", (socket) => {
  const seen = (event, ...args) => socket.emit("seen", event, args.length);
  socket.onAny(seen);
  socket.onAnyOutgoing((event) => {
    if (event === "hi") console.log("outgoing hi");
  });

  socket.once("hello", () => socket.emit("hi", "first hello only"));

  const echo = (text) => socket.emit("echo", text);
  socket.on("echo", echo);
  socket.on("echo", (text) => socket.emit("echo-2", text));

  socket.on("mute", (ack) => {
    socket.off("echo", echo);
    ack(socket.listeners("echo").length);
  });

  socket.on("blind", (ack) => {
    socket.offAny(seen);
    ack(socket.listenersAny().length);
  });
});
