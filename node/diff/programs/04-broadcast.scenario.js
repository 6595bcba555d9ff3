// A, B in "team"; C, D not. Each emit is followed by a fence (io.emit to all) so who did NOT get
// a message is proven: packets on one connection arrive in order.
export default async function ({ connect }) {
  const all = [await connect("A"), await connect("B"), await connect("C"), await connect("D")];
  const [a, b, c, d] = all;
  let fences = 0;
  const fence = async (from) => {
    fences++;
    from.emit("fence");
    await Promise.all(all.map((x) => x.waitFor("fence", fences)));
  };
  a.emit("shout", "hello");
  await fence(a);
  c.emit("team", "from outside");
  await fence(c);
  a.emit("team", "from inside");
  await fence(a);
  c.emit("team-but", "B", "not for B");
  await fence(c);
  d.emit("all-but", "C", "not for C");
  await fence(d);
  b.emit("all-but", "B", "not for myself");
  await fence(b);
}
