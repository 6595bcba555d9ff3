// A, B in /org-acme, C in /org-globex; an outsider without the token and a name that does not
// match the pattern are refused; the parent namespace's emit reaches every org.
export default async function ({ connect }) {
  const a = await connect("A", { nsp: "/org-acme" });
  await a.waitFor("joined", 1);
  const b = await connect("B", { nsp: "/org-acme" });
  await Promise.all([a.waitFor("joined", 2), b.waitFor("joined", 1)]);
  const c = await connect("C", { nsp: "/org-globex" });
  await c.waitFor("joined", 1);

  await connect("intruder", { nsp: "/org-acme", token: "guess" });
  await connect("typo", { nsp: "/org-" });
  await connect("other", { nsp: "/orgacme" });

  await a.ask("msg", "acme only");
  await b.waitFor("msg", 1);
  await c.ask("msg", "globex only");
  await c.waitFor("msg", 1);
  c.emit("announce", "to every org");
  await Promise.all([a, b, c].map((x) => x.waitFor("announce")));
}
