export default async function ({ connect, until }) {
  const a = await connect("A");
  const b = await connect("B");
  a.answer("question", (q) => (q === "2+2?" ? 4 : "no idea"));
  // B never answers "question".
  let release;
  const later = new Promise((resolve) => (release = resolve));
  b.answer("slow-question", () => later);

  await a.ask("quiz", "2+2?");
  await b.ask("quiz", "2+2?");
  a.emit("quiz-cb", "capital of France?");
  await a.waitFor("result");
  b.emit("quiz-cb", "capital of France?");
  await b.waitFor("result");

  const pending = b.ask("patient");
  await b.waitFor("slow-question");
  release("done thinking");
  await pending;
}
