// Binary payloads: bytes in, bytes out, nested in objects, broadcast to others.
io.on("connection", (socket) => {
  const name = socket.handshake.auth.name;

  socket.on("upload", (data, ack) => {
    const bytes = new Uint8Array(data);
    let sum = 0;
    for (const b of bytes) sum += b;
    ack({ size: data.byteLength, sum, view: ArrayBuffer.isView(data) });
    socket.broadcast.emit("file", { from: name, bytes: bytes.slice().reverse() });
  });

  socket.on("echo", (...args) => {
    const ack = args.pop();
    ack(...args);
  });

  socket.on("make", (n) => {
    const u8 = new Uint8Array(n);
    for (let i = 0; i < n; i++) u8[i] = (i * 37) & 0xff;
    socket.emit("made", u8, u8.buffer, { nested: [u8.subarray(1, 3)] }, "text too");
  });
});
