export const consoleLines = 4;

export default async function ({ connect }) {
  const a = await connect("A", { query: { room: "blue" } });
  const b = await connect("B", { query: { room: "blue" } });
  const c = await connect("C");
  await Promise.all([a, b, c].map((x) => x.waitFor("hello")));
  await a.ask("point");
  await a.ask("point");
  await b.ask("point");
  await c.ask("point");
  await a.ask("scores");
  await b.ask("rename", "Bea");
  await c.ask("scores");
}
