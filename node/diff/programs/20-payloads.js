// What JSON makes of JavaScript values on the way out, and acks with several or no values.
io.on("connection", (socket) => {
  socket.on("values", (ack) => {
    ack(
      { a: 1, skipped: undefined, f: () => 1, nested: { list: [1, undefined, null, NaN, Infinity, -0] } },
      new Date(0),
      { toJSON: () => "custom" },
      new Map([["k", 1]]),
      new Set([1, 2]),
      [1.5, 2 ** 53, -7, 1e21, 0.1 + 0.2],
      "ünïcödé ✓ 😀",
      true,
      null,
    );
  });

  socket.on("none", (ack) => ack());
  socket.on("twice", (ack) => {
    ack("first");
    ack("second");
  });
  socket.on("echo", (...args) => {
    const ack = args.pop();
    ack(args.length, ...args);
  });
  socket.on("no-ack-wanted", (x) => socket.emit("got", typeof x, x));
  socket.on("emit-undefined", () => socket.emit("undef", undefined, 1, undefined));
});
