export default async function ({ connect }) {
  const [a, b, c] = [await connect("A"), await connect("B"), await connect("C")];
  a.answer("double", (n) => n * 2);
  for (const x of [a, b, c]) x.answer("name?", () => x.label.toLowerCase());
  await a.ask("double-twice", 5);
  await a.ask("slow-hello");
  await b.ask("survey");
  await c.ask("risky");
  await c.ask("all-votes");
}
