export default async function ({ connect }) {
  const [a, b, c] = [await connect("A"), await connect("B"), await connect("C")];
  await c.ask("join", "lobby");
  await a.ask("join", "lobby");
  await b.ask("join", "kitchen");
  await a.ask("who", "lobby");
  await a.ask("who", "kitchen");
  await a.ask("who", "nobody-here");
  await b.ask("everyone");
  b.emit("poke", "lobby");
  await Promise.all([a.waitFor("poked"), c.waitFor("poked"), b.waitFor("poked-count")]);
  await b.ask("everyone");
}
