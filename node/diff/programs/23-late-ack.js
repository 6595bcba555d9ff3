// A timed emitWithAck whose client leaves before answering: socket.io waits out the timeout
// and then rejects with "operation has timed out" (the disconnect does not end the wait early).
io.on("connection", (socket) => {
  socket.on("watch", (ack) => {
    socket.join("watchers");
    ack("watching");
  });
  socket.on("ask-leaver", async () => {
    const [leaver] = await io.in("leavers").fetchSockets();
    if (!leaver) return;
    const started = Date.now();
    leaver.data.askedAt = started;
    const out = (how, what) => io.to("watchers").emit("outcome", how, what);
    leaver.timeout(600).emitWithAck("question").then((a) => out("answered", a), (err) => out("promise", err.message));
    leaver.timeout(600).emit("question-cb", (err) => out("callback", err ? err.message : null));
  });
  socket.on("leaver", (ack) => {
    socket.join("leavers");
    ack("leaving soon");
  });
  socket.on("disconnect", () => {
    // 200 ms after the leaver is gone: a pending ack that failed at the disconnect would be
    // reported before this mark, one that waits for its 600 ms timeout after it.
    if (socket.data.askedAt !== undefined) setTimeout(() => io.to("watchers").emit("mark"), 200);
  });
});
