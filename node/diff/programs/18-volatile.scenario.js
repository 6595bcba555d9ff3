export default async function ({ connect }) {
  const a = await connect("A");
  const b = await connect("B");
  a.emit("ping-volatile");
  await a.waitFor("pong");
  a.emit("burst", 3);
  await a.waitFor("burst-done");
  b.emit("room-volatile");
  await Promise.all([a.waitFor("news"), b.waitFor("news")]);
}
