// io.timeout(ms).emit(..., (err, responses) => ...) to several clients: every answer or, when
// someone stays silent, "operation has timed out" with the answers that did arrive.
io.on("connection", (socket) => {
  socket.on("poll", (room, ack) => {
    io.to(room).timeout(1000).emit("vote", "tea or coffee?", (err, responses) => {
      ack(err ? err.message : null, responses.sort());
    });
  });

  socket.on("poll-everyone", (ack) => {
    io.timeout(1000).emit("vote", "cake?", (err, responses) => {
      ack(err ? err.message : null, responses.sort());
    });
  });

  socket.on("poll-others", async (ack) => {
    try {
      const responses = await socket.broadcast.timeout(1000).emitWithAck("vote", "lunch?");
      ack("ok", responses.sort());
    } catch (err) {
      ack(err.message);
    }
  });

  socket.on("join", (room, ack) => {
    socket.join(room);
    ack();
  });
});
