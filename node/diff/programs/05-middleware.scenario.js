// The main namespace's middleware does not apply to /admin: mallory is refused on "/" but the
// admin namespace only checks its own rule.
export default async function ({ connect }) {
  const a = await connect("A");
  await a.waitFor("welcome");
  await connect("wrong-token", { token: "guess" });
  await connect("no-token", { token: null });
  await connect("mallory");
  const root = await connect("root", { nsp: "/admin" });
  await root.waitFor("welcome");
  await connect("A-admin", { nsp: "/admin", user: "A" });
  await connect("root-no-token", { nsp: "/admin", user: "root", token: null });
  const mal = await connect("mallory-admin", { nsp: "/admin", user: "mallory", token: "nope" });
  await mal.waitFor("#connect_error");
  await connect("nowhere", { nsp: "/nowhere" });
}
