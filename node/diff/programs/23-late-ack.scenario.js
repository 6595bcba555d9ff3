export default async function ({ connect }) {
  const a = await connect("A");
  const b = await connect("B");
  await a.ask("watch");
  await b.ask("leaver");
  b.socket.on("question-cb", () => b.disconnect());
  a.emit("ask-leaver");
  await a.waitFor("outcome", 2);
  await a.waitFor("mark");
}
