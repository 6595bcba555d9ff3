// Async handlers: await chained emitWithAck calls, a timer wrapped in a Promise, Promise.all over
// several sockets, and a rejected promise caught by try/catch.
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

io.on("connection", (socket) => {
  socket.on("double-twice", async (n, ack) => {
    const once = await socket.emitWithAck("double", n);
    const twice = await socket.timeout(1000).emitWithAck("double", once);
    ack(twice);
  });

  socket.on("slow-hello", async (ack) => {
    await wait(20);
    ack("hello after a pause");
  });

  socket.on("survey", async (ack) => {
    const others = (await io.fetchSockets()).filter((s) => s.id !== socket.id);
    const names = await Promise.all(others.map((s) => s.timeout(1000).emitWithAck("name?")));
    ack(names.sort());
  });

  socket.on("risky", async (ack) => {
    try {
      await socket.timeout(50).emitWithAck("ignore-me");
      ack("answered");
    } catch (err) {
      ack("caught: " + err.message);
    }
  });

  socket.on("all-votes", async (ack) => {
    const votes = await io.timeout(1000).emitWithAck("name?");
    ack(votes.sort());
  });
});
