export const consoleLines = 1;

export default async function ({ connect }) {
  const a = await connect("A");
  a.emit("hello");
  a.emit("hello");
  await a.waitFor("seen", 2);
  a.emit("echo", "one");
  await a.waitFor("echo-2", 1);
  await a.ask("mute");
  a.emit("echo", "two");
  await a.waitFor("echo-2", 2);
  await a.ask("blind");
  a.emit("echo", "three");
  await a.waitFor("echo-2", 3);
}
