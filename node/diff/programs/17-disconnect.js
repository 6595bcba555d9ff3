// Disconnect reasons as the server sees them, and the rooms a socket still has in "disconnecting".
io.on("connection", (socket) => {
  const name = socket.handshake.auth.name;
  socket.join("everyone");
  if (name !== "Watcher") socket.join("leaving-soon");

  socket.on("disconnecting", () => {
    const rooms = [...socket.rooms].filter((r) => r !== socket.id);
    io.to("watchers").emit("leaving", name, rooms); // "disconnecting" is reserved: emitting it throws
  });
  socket.on("disconnect", (reason) => {
    io.to("watchers").emit("gone", name, reason, socket.rooms.size);
  });

  socket.on("watch", (ack) => {
    socket.join("watchers");
    ack();
  });
  socket.on("kick-me", () => socket.disconnect());
  socket.on("close-me", () => socket.disconnect(true));
});
