// Private messages: every socket is in a room named after its own id, so io.to(id) reaches
// exactly that one connection.
io.on("connection", (socket) => {
  socket.emit("rooms", [...socket.rooms]);

  socket.on("dm", (to, text, ack) => {
    io.to(to).emit("dm", socket.id, text);
    ack("sent");
  });

  socket.on("reply", (to, text) => {
    socket.to(to).emit("reply", socket.id, text);
  });
});
