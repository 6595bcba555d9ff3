// A, B, C on /chat (A and B also in "ab"), M on "/" only: nothing for /chat ever reaches M.
export default async function ({ connect }) {
  const a = await connect("A", { nsp: "/chat" });
  const b = await connect("B", { nsp: "/chat" });
  const c = await connect("C", { nsp: "/chat" });
  const m = await connect("M");
  await m.waitFor("main");
  const chat = [a, b, c];
  let fences = 0;
  const fence = async () => {
    fences++;
    a.emit("fence");
    await Promise.all(chat.map((x) => x.waitFor("fence", fences)));
  };
  // The fence comes from another connection than the emit it follows, and socket.io orders
  // packets per connection only: wait until the emit has been delivered before fencing.
  c.emit("in", "ab", "socket.in is socket.to");
  await Promise.all([a.waitFor("in"), b.waitFor("in")]);
  await fence();
  a.emit("except", "ab", "to everyone not in ab");
  await fence();
  b.emit("chained", "lobby or ab, not me");
  await Promise.all([a.waitFor("chained"), c.waitFor("chained")]);
  await fence();
  await c.ask("reserved");
  await fence();
}
