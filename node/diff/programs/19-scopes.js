// More emit scopes on a namespace of its own, and the event names socket.io refuses to emit.
const chat = io.of("/chat");

chat.on("connection", (socket) => {
  const name = socket.handshake.auth.name;
  socket.join(["lobby", `user:${name}`]);
  if (name !== "C") socket.join("ab");

  socket.on("in", (room, text) => socket.in(room).emit("in", name, text));
  socket.on("except", (room, text) => socket.except(room).emit("except", name, text));
  socket.on("chained", (text) => chat.to("lobby").to("ab").except(`user:${name}`).emit("chained", name, text));
  socket.on("fence", () => chat.emit("fence"));

  socket.on("reserved", (ack) => {
    const answers = [];
    for (const event of ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener", "ok"]) {
      try {
        socket.emit(event);
        answers.push(null);
      } catch (err) {
        answers.push(err.message);
      }
    }
    try {
      chat.emit("disconnect");
    } catch (err) {
      answers.push(err.message);
    }
    ack(answers);
  });
});

io.on("connection", (socket) => {
  socket.emit("main", "only on /");
});
