// A is kicked (server namespace disconnect), B closes its connection with the kick (still
// server namespace disconnect), C disconnects itself (client namespace disconnect), D's transport
// just closes (transport close). The watcher sees each one.
export default async function ({ connect }) {
  const w = await connect("Watcher");
  await w.ask("watch");
  const [a, b, c, d] = [await connect("A"), await connect("B"), await connect("C"), await connect("D")];

  a.emit("kick-me");
  await Promise.all([a.waitFor("#disconnect"), w.waitFor("gone", 1)]);
  b.emit("close-me");
  await Promise.all([b.waitFor("#disconnect"), w.waitFor("gone", 2)]);
  c.disconnect();
  await w.waitFor("gone", 3);
  d.closeTransport();
  await Promise.all([d.waitFor("#disconnect"), w.waitFor("gone", 4)]);
}
