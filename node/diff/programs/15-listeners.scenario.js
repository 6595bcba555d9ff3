export const consoleLines = 1;

export default async function ({ connect }) {
  const a = await connect("A");
  // One at a time: socket.io runs onAny listeners at once but the event's own handlers a tick
  // later, so two packets read together would interleave differently from two read apart.
  a.emit("hello");
  await a.waitFor("hi");
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
