// A connects to /dyn-1 (made by io.of) with and without the token; on "/", a numeric event, a
// timeout(0) and, once B connected, the list of connection handlers that ran.
export default async function ({ connect }) {
  await connect("intruder", { nsp: "/dyn-1", token: "guess" });
  const member = await connect("member", { nsp: "/dyn-1" });
  await member.waitFor("own");

  const a = await connect("A");
  a.emit(7, "x");
  // Node runs onAny when the packet arrives and socket.on listeners a tick later, so two events
  // in one TCP read interleave there: wait for the first one's listener.
  await a.waitFor("on7");
  a.emit(1e3);
  await a.waitFor("numeric", 2);
  a.emit("t0");
  await a.waitFor("empty");
  const b = await connect("B");
  b.emit("who");
  await Promise.all([a.waitFor("who"), b.waitFor("who")]);
}
