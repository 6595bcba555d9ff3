// B is offline while A writes twice; B connects and gets both (acking them), A hears "delivered";
// B comes back later and gets nothing old; a new message reaches B at once.
export default async function ({ connect }) {
  const a = await connect("A");
  await a.ask("send", "B", "first");
  await a.ask("send", "B", "second");

  // The queued messages come right after the connection: answer from the first packet on.
  const b = await connect("B", { answers: { message: () => "thanks" } });
  await b.waitFor("message", 2);
  await a.waitFor("delivered", 2);
  await b.ask("pending");
  b.disconnect();
  await b.waitFor("#disconnect");

  // Someone who never acks keeps the message queued.
  await a.ask("send", "C", "for C");
  const c = await connect("C");
  await c.waitFor("message");
  await c.ask("pending");
  c.disconnect();

  const b2 = await connect("B-again", { user: "B", answers: { message: () => "thanks" } });
  await b2.ask("pending");
  await a.ask("send", "B", "third");
  await b2.waitFor("message", 1);
  await a.waitFor("delivered", 3);
}
