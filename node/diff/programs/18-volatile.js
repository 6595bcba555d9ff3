// volatile: sent if the connection can take it right now, dropped otherwise (never buffered).
io.on("connection", (socket) => {
  socket.on("ping-volatile", () => {
    socket.volatile.emit("pong", "volatile");
  });

  socket.on("burst", (n) => {
    for (let i = 1; i <= n; i++) socket.volatile.emit("burst", i);
    setTimeout(() => socket.emit("burst-done"), 30);
  });

  socket.on("room-volatile", () => {
    io.volatile.emit("news", "for everyone who can take it");
  });
});
