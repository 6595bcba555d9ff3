// An offline queue: messages for a user who is not connected wait in the server; when they
// connect, each is delivered with an ack and dropped from the queue only once acknowledged, and
// the sender hears "delivered".
const inbox = new Map(); // user name -> [{ id, from, text }]
let nextId = 1;

function deliver(socket, msg) {
  socket.timeout(1000).emit("message", msg, (err) => {
    if (err) return; // stays queued
    const queue = inbox.get(msg.to) ?? [];
    inbox.set(msg.to, queue.filter((m) => m.id !== msg.id));
    io.to(`user:${msg.from}`).emit("delivered", msg.id, msg.to);
  });
}

io.on("connection", (socket) => {
  const name = socket.handshake.auth.name;
  socket.join(`user:${name}`);
  for (const msg of inbox.get(name) ?? []) deliver(socket, msg);

  socket.on("send", async (to, text, ack) => {
    const msg = { id: nextId++, from: name, to, text };
    inbox.set(to, [...(inbox.get(to) ?? []), msg]);
    const online = await io.in(`user:${to}`).fetchSockets();
    for (const s of online) deliver(s, msg);
    ack(online.length ? "sent" : "queued", msg.id);
  });

  socket.on("pending", (ack) => ack((inbox.get(name) ?? []).length));
});
