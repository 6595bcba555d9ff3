// Chat: everyone hears everything, including who joined and who left (and why).
io.on("connection", (socket) => {
  const name = socket.handshake.auth.name;
  io.emit("joined", name);
  console.log(`${name} joined`);

  socket.on("chat", (text) => {
    console.log(`${name}: ${text}`);
    io.emit("chat", name, text);
  });

  socket.on("disconnect", (reason) => {
    io.emit("left", name, reason);
  });
});
