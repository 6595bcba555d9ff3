export default async function ({ connect }) {
  const a = await connect("A");
  await a.ask("values");
  await a.ask("none");
  await a.ask("twice");
  await a.ask("echo", { deep: [1, { x: "y" }] }, "", 0, false, null, [], {});
  await a.ask("echo");
  a.emit("no-ack-wanted", { n: 1 });
  await a.waitFor("got");
  a.emit("emit-undefined");
  await a.waitFor("undef");
  a.emit("no-ack-wanted");
  await a.waitFor("got", 2);
}
