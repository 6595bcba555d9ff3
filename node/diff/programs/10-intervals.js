// Timers: setInterval ticks N times then clears itself; a cleared setTimeout never fires;
// a socket's timers stop when it disconnects.
io.on("connection", (socket) => {
  const timers = new Set();

  socket.on("count", (n, ack) => {
    let i = 0;
    const t = setInterval(() => {
      i++;
      socket.emit("tick", i);
      if (i === n) {
        clearInterval(t);
        timers.delete(t);
        socket.emit("done", n);
      }
    }, 20);
    timers.add(t);
    ack("counting to " + n);
  });

  socket.on("later", (ack) => {
    const never = setTimeout(() => socket.emit("never"), 10);
    clearTimeout(never);
    setTimeout(() => socket.emit("later", "after 30 ms"), 30);
    setTimeout((a, b) => ack(a + b), 40, "arg", "s");
  });

  socket.on("disconnect", () => {
    for (const t of timers) clearInterval(t);
  });
});
