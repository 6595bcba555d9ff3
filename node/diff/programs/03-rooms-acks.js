// Rooms with acknowledgements: join and leave answer with the socket's rooms, "say" reaches the
// room's members (a socket in two target rooms gets it once), "sizes" counts members per room.
io.on("connection", (socket) => {
  const name = socket.handshake.auth.name;
  const myRooms = () => [...socket.rooms].filter((r) => r !== socket.id);

  socket.on("join", (room, ack) => {
    socket.join(room);
    ack(myRooms());
  });

  socket.on("leave", (room, ack) => {
    socket.leave(room);
    ack(myRooms());
  });

  socket.on("say", (rooms, text, ack) => {
    io.to(rooms).emit("said", name, rooms, text);
    ack({ ok: true });
  });

  socket.on("sizes", (rooms, ack) => {
    const rs = io.of("/").adapter.rooms;
    ack(rooms.map((r) => rs.get(r)?.size ?? 0));
  });
});
