// The gaps issue 13 found between the hub and socket.io 4.8, as a program meets them:
// io.of(name) under a RegExp namespace makes its child (the parent's middleware guards it),
// timeout(0) times out at once, numeric event names reach onAny, and a connection handler has
// run before the client can act on its connection.
const dyn = io.of(/^\/dyn-\d+$/);
dyn.use((socket, next) => {
  if (socket.handshake.auth.token !== "secret") return next(new Error("parent says no"));
  next();
});
dyn.on("connection", (socket) => socket.emit("parent", socket.nsp.name));
const made = io.of("/dyn-1"); // before any client: still the RegExp namespace's child
made.on("connection", (socket) => socket.emit("own", socket.nsp === made));

const seen = [];
io.on("connection", (socket) => {
  seen.push(socket.handshake.auth.name);
  socket.onAny((event, ...args) => {
    if (typeof event === "number") socket.emit("numeric", event, args);
  });
  socket.on("7", (x) => socket.emit("on7", x));
  socket.on("who", () => io.emit("who", seen));
  socket.on("t0", async () => {
    // Nobody answers "q": the result does not race a reply (Node's timer fires after 1 ms).
    try {
      await socket.timeout(0).emitWithAck("q");
      socket.emit("t0", "resolved");
    } catch (e) {
      socket.emit("t0", e.message);
    }
    socket.emit("empty", await io.to("nobody").timeout(0).emitWithAck("q"));
  });
});
