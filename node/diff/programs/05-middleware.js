// Middleware: refuse a bad token with err.data, refuse a banned name without data, and a
// namespace's own middleware.
io.use((socket, next) => {
  const { token } = socket.handshake.auth;
  if (token !== "secret") {
    const err = new Error("bad token");
    err.data = { hint: "send auth.token", got: token ?? null };
    return next(err);
  }
  next();
});

io.use((socket, next) => {
  if (socket.handshake.auth.name === "mallory") return next(new Error("banned"));
  socket.data.name = socket.handshake.auth.name;
  next();
});

io.on("connection", (socket) => {
  socket.emit("welcome", socket.data.name);
});

const admin = io.of("/admin");
admin.use((socket, next) => {
  if (socket.handshake.auth.name !== "root") {
    const err = new Error("admins only");
    err.data = { code: 403 };
    next(err);
  } else {
    next();
  }
});
admin.on("connection", (socket) => {
  socket.emit("welcome", "admin " + socket.handshake.auth.name);
});
