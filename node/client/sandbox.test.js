// The real npm socket.io-client against a hub whose server is student JavaScript run in the
// sandbox (playground/socketio/sandbox). Run by the Go test TestNodeClientSandbox
// (playground/sandbox_node_test.go), which passes the hub's URL in HUB_URL. Event-driven and
// bounded; nothing waits on a fixed sleep.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clients, once, ackAll, connected } from "./lib.js";

const URL = process.env.HUB_URL;
if (!URL) throw new Error("HUB_URL is not set: run this through `go test -run TestNodeClientSandbox ./playground`");
const client = clients(URL, { auth: { token: "t" } });

test("middleware next(err) with err.data reaches connect_error", async () => {
  const s = client("/", { auth: {} });
  const [err] = await once(s, "connect_error");
  assert.equal(err.message, "bad token");
  assert.deepEqual(err.data, { hint: "send a token" });
});

test("ack callback, chat to the others, rooms", async () => {
  const a = client(), b = client();
  await Promise.all([connected(a), connected(b)]);
  assert.deepEqual(await ackAll(a, "echo", { n: 1 }, [1, "x"]), [{ n: 1 }, [1, "x"]]);
  const got = once(b, "chat");
  a.emit("chat", "hi");
  assert.deepEqual(await got, ["hi", a.id]);
  assert.deepEqual(await a.timeout(5000).emitWithAck("join", "r1"), [a.id, "r1"]);
});

test("binary both ways", async () => {
  const a = client();
  await connected(a);
  const back = await a.timeout(5000).emitWithAck("bin", Buffer.from([1, 2, 3]));
  assert.deepEqual([...new Uint8Array(back)], [3, 2, 1]);
});

test("server emitWithAck with await: answered, then timed out", async () => {
  const a = client();
  await connected(a);
  a.on("question", (n, cb) => cb(n * 2));
  assert.equal(await a.timeout(5000).emitWithAck("ask", 21), 42);
  a.off("question");
  a.on("question", () => {}); // never answers: the server's 100 ms timeout fires
  assert.equal(await a.timeout(5000).emitWithAck("ask", 1), "operation has timed out");
});

test("regex namespace with the parent's middleware", async () => {
  const ok = client("/tenant-7");
  const [name] = await once(ok, "hello");
  assert.equal(name, "/tenant-7");
  const bad = client("/tenant-x");
  const [err] = await once(bad, "connect_error");
  assert.equal(err.message, "Invalid namespace");
});

test("a handler's exception is reported and the server keeps serving", async () => {
  const a = client();
  await connected(a);
  a.emit("boom");
  assert.equal(await a.timeout(5000).emitWithAck("echo", "still here"), "still here");
});
