export default async function ({ connect }) {
  const a = await connect("A");
  const b = await connect("B", { transports: ["polling"] });
  await a.ask("upload", new Uint8Array([1, 2, 3, 250, 0, 255]));
  await b.waitFor("file");
  await b.ask("upload", new Uint8Array([9, 8, 7]).buffer);
  await a.waitFor("file");
  await a.ask("echo", new Uint8Array([0, 1]), { deep: { bin: new Uint8Array([2, 3]) } }, [new Uint8Array(0)], "plain");
  await b.ask("echo", new Uint8Array([255]), 42);
  a.emit("make", 5);
  await a.waitFor("made");
  b.emit("make", 300);
  await b.waitFor("made");
}
