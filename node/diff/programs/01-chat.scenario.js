// A and B on WebSocket, C on HTTP long-polling: all three receive every chat line in the order
// it was sent, and hear about joins and C leaving.
export const consoleLines = 6;

export default async function ({ connect }) {
  const a = await connect("A");
  await a.waitFor("joined", 1);
  const b = await connect("B");
  await a.waitFor("joined", 2);
  const c = await connect("C", { transports: ["polling"] });
  await Promise.all([a.waitFor("joined", 3), b.waitFor("joined", 2), c.waitFor("joined", 1)]);

  a.emit("chat", "hi all");
  await Promise.all([a, b, c].map((x) => x.waitFor("chat", 1)));
  c.emit("chat", "hello from polling");
  await Promise.all([a, b, c].map((x) => x.waitFor("chat", 2)));
  b.emit("chat", "and from B");
  await Promise.all([a, b, c].map((x) => x.waitFor("chat", 3)));

  c.disconnect();
  await Promise.all([a.waitFor("left"), b.waitFor("left")]);
}
