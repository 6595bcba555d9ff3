// A, B, C answer; D stays silent. A poll of "answering" (A, B, C) completes; a poll of everyone
// times out with the three answers; an empty room answers at once with no responses.
export default async function ({ connect }) {
  const [a, b, c, d] = [await connect("A"), await connect("B"), await connect("C"), await connect("D")];
  a.answer("vote", () => "tea");
  b.answer("vote", () => "coffee");
  c.answer("vote", () => "tea");
  for (const x of [a, b, c]) await x.ask("join", "answering");

  await a.ask("poll", "answering");
  await a.ask("poll-everyone");
  await a.ask("poll", "empty");
  await d.ask("poll-others");
  await a.ask("poll-others");
}
