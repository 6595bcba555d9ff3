// A messages B by id (C hears nothing), B replies with socket.to(id), A messages itself (io.to
// includes the sender), and a message to an id nobody has is acked but goes nowhere.
export default async function ({ connect }) {
  const [a, b, c] = [await connect("A"), await connect("B"), await connect("C")];
  await Promise.all([a, b, c].map((x) => x.waitFor("rooms")));

  await a.ask("dm", b.id, "psst, B");
  await b.waitFor("dm");
  b.emit("reply", a.id, "got it");
  await a.waitFor("reply");
  await a.ask("dm", a.id, "note to self");
  await a.waitFor("dm");
  await c.ask("dm", "no-such-socket", "anyone?");
  // The fence: C's own next private message proves nothing else was on its way to C.
  await c.ask("dm", c.id, "fence");
  await c.waitFor("dm");
}
