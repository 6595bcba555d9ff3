// Emit scopes: socket.broadcast (everyone but me), socket.to(room).except(room), io.except(room).
io.on("connection", (socket) => {
  const name = socket.handshake.auth.name;
  socket.join(`user:${name}`);
  if (name === "A" || name === "B") socket.join("team");

  socket.on("shout", (text) => socket.broadcast.emit("shout", name, text));
  socket.on("team", (text) => socket.to("team").emit("team", name, text));
  socket.on("team-but", (who, text) => socket.to("team").except(`user:${who}`).emit("team-but", name, text));
  socket.on("all-but", (who, text) => io.except(`user:${who}`).emit("all-but", name, text));
  socket.on("fence", () => io.emit("fence", name));
});
