// Tenants: one handler for every /org-<name> namespace. The parent's middleware guards all of
// them; each org only hears its own messages.
const orgs = io.of(/^\/org-\w+$/);

orgs.use((socket, next) => {
  if (socket.handshake.auth.token !== "secret") {
    const err = new Error("not a member");
    err.data = { org: socket.nsp.name };
    return next(err);
  }
  next();
});

orgs.on("connection", (socket) => {
  const org = socket.nsp;
  const name = socket.handshake.auth.name;
  socket.emit("welcome", org.name, name);
  org.emit("joined", name);
  socket.on("msg", (text, ack) => {
    org.emit("msg", org.name, name, text);
    ack(org.sockets.size);
  });
  socket.on("announce", (text) => {
    orgs.emit("announce", name, text);
  });
});
