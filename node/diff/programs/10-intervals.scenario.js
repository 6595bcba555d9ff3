export default async function ({ connect }) {
  const a = await connect("A");
  await a.ask("count", 3);
  await a.waitFor("done");
  await a.ask("later");
  await a.waitFor("later");
  await a.ask("count", 5);
  await a.waitFor("done", 2);
}
