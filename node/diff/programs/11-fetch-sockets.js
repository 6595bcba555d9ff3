// fetchSockets: who is in a room (in join order), with their data and rooms; a fetched socket can
// be emitted to and made to join or leave.
io.on("connection", (socket) => {
  socket.data.name = socket.handshake.auth.name;

  socket.on("join", (room, ack) => {
    socket.join(room);
    ack();
  });

  socket.on("who", async (room, ack) => {
    const sockets = await io.in(room).fetchSockets();
    ack(sockets.map((s) => s.data.name));
  });

  socket.on("everyone", async (ack) => {
    const sockets = await io.fetchSockets();
    ack(sockets.map((s) => ({ name: s.data.name, rooms: [...s.rooms].filter((r) => r !== s.id).sort() })));
  });

  socket.on("poke", async (room) => {
    for (const s of await io.in(room).fetchSockets()) {
      s.emit("poked", socket.data.name, s.data.name);
      s.join("poked");
    }
    const poked = await io.in("poked").fetchSockets();
    socket.emit("poked-count", poked.length);
  });
});
