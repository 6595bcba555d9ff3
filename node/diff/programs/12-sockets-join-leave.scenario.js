// A is the admin; B and C are promoted to "vip", hear the vip channel, are demoted, promoted
// again and kicked (the others hear why); D is closed with disconnectSockets(true).
export default async function ({ connect }) {
  const [a, b, c, d] = [await connect("A"), await connect("B"), await connect("C"), await connect("D")];
  await a.ask("promote", "B");
  await a.ask("promote", "C");
  a.emit("vip", "vips only");
  await Promise.all([b.waitFor("vip"), c.waitFor("vip")]);
  await a.ask("demote-all");
  a.emit("vip", "nobody hears this");
  a.emit("everyone", "fence");
  await Promise.all([a, b, c, d].map((x) => x.waitFor("everyone")));

  await a.ask("promote", "B");
  a.emit("kick-vips");
  await Promise.all([b.waitFor("#disconnect"), a.waitFor("left"), c.waitFor("left"), d.waitFor("left")]);
  await a.ask("promote", "D");
  a.emit("close-vips");
  await Promise.all([d.waitFor("#disconnect"), a.waitFor("left", 2), c.waitFor("left", 2)]);
}
