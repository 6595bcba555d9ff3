// emitWithAck from the server: an answer within the timeout resolves, silence rejects with
// "operation has timed out"; without a timeout flag it waits as long as it takes.
io.on("connection", (socket) => {
  socket.on("quiz", async (question, ack) => {
    try {
      const answer = await socket.timeout(1000).emitWithAck("question", question);
      ack({ answer });
    } catch (err) {
      ack({ error: err.message });
    }
  });

  socket.on("quiz-cb", (question) => {
    socket.timeout(1000).emit("question", question, (err, answer) => {
      socket.emit("result", err ? err.message : null, answer ?? null);
    });
  });

  socket.on("patient", async (ack) => {
    const answer = await socket.emitWithAck("slow-question", "take your time");
    ack(answer);
  });
});
