// The cluster scenario's server program (issue 14, item 3): plain socket.io v4 server JavaScript
// on a global `io` (no require), run unchanged on npm socket.io with @socket.io/redis-adapter
// (host.js) and on `socketlab run -redis URL program.js`. drive.js is its client side.
//
// Clients of "/" say who they are in their auth: { name, rooms }; the server keeps the name in
// socket.data and joins the rooms. Each server has one admin client on "/admin" (auth
// { server: "S1" }, which also tells the program its server's name): it asks the server to issue
// one operation, `op(kind, tag, ack)`, and gets the result (or { error }) in the ack. The admin
// namespace is not "/", so no operation on "/" ever reaches an admin.
let self = "";

io.on("connection", (socket) => {
  const { name, rooms } = socket.handshake.auth;
  socket.data.name = name;
  socket.join(rooms);
  socket.on("echo", (x, cb) => cb(x));
});

// What other servers send with io.serverSideEmit / serverSideEmitWithAck.
io.on("relay", (tag) => {
  io.local.emit("m", tag);
});
io.on("who", (cb) => {
  cb(self);
});

const view = (s) => ({
  id: s.id,
  name: s.data.name,
  auth: s.handshake.auth.name,
  rooms: [...s.rooms].filter((r) => r !== s.id).sort(),
});

const ops = {
  broadcast: (tag) => io.emit("m", tag),
  room: (tag) => io.to("r1").emit("m", tag),
  except: (tag) => io.except("r2").emit("m", tag),
  toExcept: (tag) => io.to("r1").except("r2").emit("m", tag),
  local: (tag) => io.local.emit("m", tag),
  socketsJoin: (tag) => io.in("r2").socketsJoin("j-" + tag),
  joined: (tag) => io.to("j-" + tag).emit("m", tag),
  fetchSockets: async (room) => (await io.in(room).fetchSockets()).map(view),
  disconnectSockets: () => io.in("r2").disconnectSockets(),
  serverSideEmit: (tag) => io.serverSideEmit("relay", tag),
  serverSideEmitWithAck: async () => (await io.serverSideEmitWithAck("who")).sort(),
  emitWithAck: async (tag) => (await io.timeout(3000).to("r1").emitWithAck("ask", tag)).sort(),
  fence: (tag) => io.emit("fence", tag),
  localNames: async () => (await io.local.fetchSockets()).map((s) => s.data.name).sort(),
};

io.of("/admin").on("connection", (admin) => {
  self = admin.handshake.auth.server;
  admin.on("op", async (kind, tag, ack) => {
    const op = ops[kind];
    if (!op) return ack({ error: "unknown op " + kind });
    try {
      const out = await op(tag);
      ack({ ok: out === undefined || out === true || out === io ? null : out });
    } catch (err) {
      ack({ error: String(err && err.message) });
    }
  });
});
