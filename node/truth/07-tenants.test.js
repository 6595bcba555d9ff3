// Lesson 07 (tenants): one namespace per organisation, created on first use by a regex (or a
// function), guarded by middleware; a wrong token gets connect_error; tenants never mix.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, record, fence, receivers, serverSocket, once } from "./lib.js";

const tokens = { acme: "acme-secret", globex: "globex-secret" };
let srv, orgs;
const connections = [];

before(async () => {
  srv = await start({}, (io) => {
    orgs = io.of(/^\/org-[a-z0-9-]+$/);
    orgs.use((socket, next) => {
      const org = socket.nsp.name.slice("/org-".length);
      if (tokens[org] !== undefined && socket.handshake.auth.token === tokens[org]) {
        socket.data.org = org;
        return next();
      }
      const err = new Error("not authorized");
      err.data = { org };
      next(err);
    });
    orgs.on("connection", (socket) => {
      connections.push(socket.nsp.name);
      socket.on("say", (text, ack) => {
        socket.nsp.emit("said", { org: socket.data.org, text }); // this organisation only
        ack();
      });
    });

    // The function form: the function decides whether a namespace may exist.
    io.of((name, auth, next) => next(null, name === "/team-" + auth.team));
  });
});

after(() => srv.close());

test("the first matching connection creates a namespace with the concrete name", async () => {
  assert.equal(srv.io._nsps.has("/org-acme"), false);
  const ada = await srv.client("/org-acme", { auth: { token: tokens.acme } });
  assert.equal(srv.io._nsps.has("/org-acme"), true);
  assert.equal(serverSocket(srv.io, ada, "/org-acme").nsp.name, "/org-acme");
  ada.disconnect();
});

test("the middleware refuses a wrong token: connect_error, no retry, never connected", async () => {
  const before = connections.length;
  const mallory = srv.socket("/org-acme", { auth: { token: tokens.globex } });
  const [err] = await once(mallory, "connect_error");
  assert.equal(err.message, "not authorized");
  assert.deepEqual(err.data, { org: "acme" });
  assert.equal(mallory.active, false, "the client does not retry after a middleware refusal");
  assert.equal(mallory.connected, false);
  assert.equal(connections.length, before, "the connection handler never ran");
});

test("one organisation's messages never reach another's", async () => {
  const ada = record(await srv.client("/org-acme", { auth: { token: tokens.acme } }));
  const bob = record(await srv.client("/org-acme", { auth: { token: tokens.acme } }));
  const gus = record(await srv.client("/org-globex", { auth: { token: tokens.globex } }));
  await ada.emitWithAck("say", "launch at noon");
  await fence(srv.io.of("/org-acme"), [ada, bob]);
  await fence(srv.io.of("/org-globex"), [gus]);
  assert.deepEqual(receivers({ ada, bob, gus }, "said"), ["ada", "bob"]);
  assert.deepEqual(bob.got.find(([e]) => e === "said")[1], { org: "acme", text: "launch at noon" });
  for (const c of [ada, bob, gus]) c.disconnect();
});

test("the parent namespace reaches every organisation at once", async () => {
  const ada = record(await srv.client("/org-acme", { auth: { token: tokens.acme } }));
  const gus = record(await srv.client("/org-globex", { auth: { token: tokens.globex } }));
  orgs.emit("maintenance", "tonight");
  await fence(srv.io.of("/org-acme"), [ada]);
  await fence(srv.io.of("/org-globex"), [gus]);
  assert.deepEqual(receivers({ ada, gus }, "maintenance"), ["ada", "gus"]);
  ada.disconnect();
  gus.disconnect();
});

test("a name that matches no pattern is refused with 'Invalid namespace'", async () => {
  const c = srv.socket("/org-ACME!", { auth: { token: tokens.acme } });
  const [err] = await once(c, "connect_error");
  assert.equal(err.message, "Invalid namespace");
});

test("the function form: next(null, false) refuses with 'Invalid namespace'", async () => {
  const ok = await srv.client("/team-red", { auth: { team: "red" } });
  assert.equal(serverSocket(srv.io, ok, "/team-red").nsp.name, "/team-red");
  const no = srv.socket("/team-blue", { auth: { team: "red" } });
  const [err] = await once(no, "connect_error");
  assert.equal(err.message, "Invalid namespace");
  ok.disconnect();
});

test("the matcher runs only to create a namespace; once it exists, only middleware guards it", async () => {
  const red = await srv.client("/team-red", { auth: { team: "red" } }); // exists already or is created
  // A second client with the wrong team is NOT checked by the function any more: it gets in.
  const blue = await srv.client("/team-red", { auth: { team: "blue" } });
  assert.equal(serverSocket(srv.io, blue, "/team-red").nsp.name, "/team-red");
  red.disconnect();
  blue.disconnect();
});

// Lesson 07's security note (socket.io docs, "Dynamic namespaces": a child namespace is created
// for each matching name, and cleanupEmptyChildNamespaces defaults to false): a refused connection
// to a matching name still leaves that namespace behind, and it stays.
test("a matching name creates a namespace that stays even when middleware refuses the socket", async () => {
  const names = ["/org-made-up-by-mallory", "/org-another-one"];
  for (const n of names) {
    assert.ok(!srv.io._nsps.has(n));
    await assert.rejects(srv.client(n, { auth: { token: "wrong" } }), /not authorized/);
  }
  for (const n of names) {
    assert.ok(srv.io._nsps.has(n), `${n} exists after the refusal`);
    assert.equal(srv.io._nsps.get(n).sockets.size, 0, `${n} holds no socket: the refused one never joined`);
  }
});

// ... unless cleanupEmptyChildNamespaces is on: then the refused child namespace is removed.
test("with cleanupEmptyChildNamespaces, a refused connection leaves no namespace behind", async () => {
  const own = await start({ cleanupEmptyChildNamespaces: true }, (io) => {
    io.of(/^\/org-[a-z0-9-]+$/).use((socket, next) => next(new Error("not authorized")));
  });
  try {
    await assert.rejects(own.client("/org-mallory"), /not authorized/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(!own.io._nsps.has("/org-mallory"));
  } finally {
    await own.close();
  }
});

// Lesson 07: a child namespace copies its parent's middleware when it is created
// (socket.io lib/parent-namespace.ts createChild: namespace._fns = [...this._fns]), so middleware
// added to the parent later guards only organizations created after it.
test("parent middleware added after a child exists does not reach that child", async () => {
  let parent;
  const own = await start({}, (io) => (parent = io.of(/^\/org-[a-z]+$/)));
  try {
    const early = await own.client("/org-early"); // creates /org-early
    early.disconnect();
    parent.use((socket, next) => next(new Error("closed for maintenance")));
    await own.client("/org-early"); // still let in: its copy of the middleware predates the use()
    await assert.rejects(own.client("/org-late"), /closed for maintenance/);
  } finally {
    await own.close();
  }
});

// Lesson 07: "each organization copies its parent's middleware and handlers when it is created"
// (socket.io lib/parent-namespace.ts createChild: copies _fns and the "connection" listeners):
// a connection handler added to the parent later is not run for an organization that exists.
test("parent connection handlers added after a child exists do not reach that child", async () => {
  let parent;
  const own = await start({}, (io) => (parent = io.of(/^\/org-[a-z]+$/)));
  try {
    const early = await own.client("/org-early"); // creates /org-early, with no handler
    const ran = [];
    parent.on("connection", (socket) => ran.push(socket.nsp.name));
    const again = await own.client("/org-early");
    const late = await own.client("/org-late");
    assert.deepEqual(ran, ["/org-late"], "only the organization created after on() runs it");
    for (const c of [early, again, late]) c.disconnect();
  } finally {
    await own.close();
  }
});
