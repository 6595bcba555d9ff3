// Per-connection state: socket.data set by middleware, handshake auth and query, and what the
// server logs about it.
io.use((socket, next) => {
  socket.data.name = socket.handshake.auth.name;
  socket.data.score = 0;
  next();
});

io.on("connection", (socket) => {
  const { room = "none" } = socket.handshake.query;
  socket.join(room);
  socket.emit("hello", socket.data, room, Object.keys(socket.handshake.auth).sort());

  socket.on("point", (ack) => {
    socket.data.score += 1;
    ack(socket.data.score);
  });

  socket.on("scores", async (ack) => {
    const sockets = await io.in(room).fetchSockets();
    console.log("scores for", room, sockets.length);
    console.log({ room, names: sockets.map((s) => s.data.name), first: sockets[0].data });
    ack(Object.fromEntries(sockets.map((s) => [s.data.name, s.data.score])));
  });

  socket.on("rename", (name, ack) => {
    socket.data = { ...socket.data, name };
    ack(socket.data);
  });
});
