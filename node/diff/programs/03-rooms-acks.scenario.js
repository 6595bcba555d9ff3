export default async function ({ connect }) {
  const [a, b, c] = [await connect("A"), await connect("B"), await connect("C")];
  await a.ask("join", "red");
  await a.ask("join", "blue");
  await b.ask("join", "red");
  await c.ask("join", "green");
  await a.ask("sizes", ["red", "blue", "green", "none"]);

  await c.ask("say", "red", "to red");
  await Promise.all([a.waitFor("said", 1), b.waitFor("said", 1)]);
  await c.ask("say", ["red", "blue"], "to red and blue");
  await Promise.all([a.waitFor("said", 2), b.waitFor("said", 2)]);

  await a.ask("leave", "red");
  await a.ask("leave", "never-joined");
  await b.ask("say", "red", "red again");
  await b.waitFor("said", 3);
  await a.ask("sizes", ["red", "blue", "green"]);
  // Fence: everyone in one room, one last message.
  for (const x of [a, b, c]) await x.ask("join", "all");
  await a.ask("say", "all", "fence");
  await Promise.all([a.waitFor("said", 2), b.waitFor("said", 4), c.waitFor("said", 1)]);
}
