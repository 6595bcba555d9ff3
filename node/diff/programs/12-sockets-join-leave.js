// Server-side room management for other sockets: socketsJoin, socketsLeave, disconnectSockets.
io.on("connection", (socket) => {
  const name = socket.handshake.auth.name;
  socket.join(`user:${name}`);

  socket.on("promote", (who, ack) => {
    io.in(`user:${who}`).socketsJoin("vip");
    ack();
  });
  socket.on("demote-all", (ack) => {
    io.socketsLeave("vip");
    ack();
  });
  socket.on("vip", (text) => io.to("vip").emit("vip", name, text));
  socket.on("everyone", (text) => io.emit("everyone", name, text));
  socket.on("kick-vips", () => io.in("vip").disconnectSockets());
  socket.on("close-vips", () => io.in("vip").disconnectSockets(true));

  socket.on("disconnect", (reason) => io.emit("left", name, reason));
});
