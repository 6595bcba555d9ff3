// The grader's own behaviour against npm socket.io 4.8: what it reports, in the words a
// student reads, for servers that do and do not do what a check says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Server } from "socket.io";
import { io } from "socket.io-client";
import { runChecks } from "../../static/js/exercise-check.js";

const fast = { ack: 300, connect: 1000, settle: 150, max: 600, step: 20 };
const abc = [{ name: "A" }, { name: "B" }, { name: "C" }];

/** The grader with short timeouts, as every test here calls it. */
const grade = (url, clients, checks) => runChecks({ io, url, clients, checks, timeouts: fast });

async function withServer(setup, fn) {
  const server = new Server(0);
  setup(server);
  await new Promise((r) => (server.httpServer.listening ? r() : server.httpServer.once("listening", r)));
  try {
    return await fn(`http://127.0.0.1:${server.httpServer.address().port}`);
  } finally {
    await new Promise((r) => server.close(() => r()));
  }
}

const chatCheck = {
  name: "A's chat reaches everyone else",
  steps: [{ client: "A", emit: "chat", args: ["hi"] }],
  expect: [
    { client: "B", receives: "chat", args: ["hi"] },
    { client: "C", receives: "chat", args: ["hi"] },
    { client: "A", receives: "nothing" },
  ],
};

test("a server that echoes to the sender only: who got nothing, who got it anyway", async () => {
  const [r] = await withServer(
    (s) => s.on("connection", (socket) => socket.on("chat", (m) => socket.emit("chat", m))),
    (url) => grade(url, abc, [chatCheck]),
  );
  assert.equal(r.passed, false);
  assert.equal(r.name, "A's chat reaches everyone else");
  assert.deepEqual(
    r.lines.map((l) => [l.ok, l.text]),
    [
      [false, 'B received nothing; expected chat "hi"'],
      [false, 'C received nothing; expected chat "hi"'],
      [false, 'A also received chat "hi"'],
    ],
  );
  assert.equal(r.explanation, 'B received nothing; expected chat "hi"; C received nothing; expected chat "hi"; A also received chat "hi"');
});

test("socket.broadcast.emit passes, and the explanation says what was observed", async () => {
  const [r] = await withServer(
    (s) => s.on("connection", (socket) => socket.on("chat", (m) => socket.broadcast.emit("chat", m))),
    (url) => grade(url, abc, [chatCheck]),
  );
  assert.equal(r.passed, true, r.explanation);
  assert.equal(r.explanation, 'Passed: B received chat "hi"; C received chat "hi"; A received nothing');
});

test("other events, counts, misses", async () => {
  const results = await withServer(
    (s) =>
      s.on("connection", (socket) =>
        socket.on("chat", (m) => {
          s.emit("chat", m.toUpperCase());
          s.emit("chat", m);
          s.emit("chat", m);
        }),
      ),
    (url) =>
      grade(url, abc, [
          { name: "exact args", steps: [{ client: "A", emit: "chat", args: ["hi"] }], expect: [{ client: "B", receives: "chat", args: ["ho"] }] },
          { name: "once", steps: [{ client: "A", emit: "chat", args: ["hi"] }], expect: [{ client: "B", receives: "chat", args: ["hi"], times: 1 }] },
          { name: "misses", steps: [{ client: "A", emit: "chat", args: ["hi"] }], expect: [{ client: "C", misses: "chat", args: ["HI"] }] },
        ]),
  );
  assert.deepEqual(
    results.map((r) => r.explanation),
    [
      'B did not receive chat "ho"; B received chat "HI", chat "hi" and chat "hi"',
      'B received chat "hi" twice; expected once',
      'C also received chat "HI"',
    ],
  );
});

test("refusals, connections and acks are explained", async () => {
  const results = await withServer(
    (s) => {
      s.use((socket, next) => {
        if (socket.handshake.auth.token === "t") return next();
        const err = new Error("token required");
        err.data = { hint: "send auth.token" };
        next(err);
      });
      s.on("connection", (socket) => {
        socket.on("join", (room, ack) => {
          if (room === "room-1") ack({ ok: true, room });
          // any other room: no answer at all
        });
      });
    },
    (url) =>
      grade(url, [{ name: "Ada", auth: { token: "t" } }, { name: "Eve" }], [
          {
            name: "Eve is refused",
            steps: [{ client: "Eve", connect: true, auth: {} }],
            expect: [{ client: "Eve", connect_error: "bad token" }],
          },
          {
            name: "Eve with data",
            steps: [{ client: "Eve", connect: true }],
            expect: [{ client: "Eve", connect_error: "token required", data: { hint: "send auth.token" } }, { client: "Ada", connected: true }],
          },
          {
            name: "Eve connects",
            steps: [{ wait: 10 }],
            expect: [{ client: "Eve", connected: true }, { client: "Eve", receives: "welcome" }],
          },
          {
            name: "a refused client proves nothing by receiving nothing",
            steps: [{ wait: 10 }],
            expect: [{ client: "Eve", receives: "nothing" }, { client: "Eve", misses: "welcome" }],
          },
          {
            name: "acks",
            steps: [
              { client: "Ada", emit: "join", args: ["room-1"], ack: [{ ok: true, room: "room-1" }] },
              { client: "Ada", emit: "join", args: ["room-1"], ack: [{ ok: false }] },
              { client: "Ada", emit: "join", args: ["room-2"], ack: [{ ok: true }] },
            ],
            expect: [{ client: "Ada", receives: "nothing" }],
          },
        ]),
  );
  assert.deepEqual(
    results.map((r) => [r.passed, r.explanation]),
    [
      [false, 'Eve was refused with connect_error "token required"; expected "bad token"'],
      [true, 'Passed: Eve was refused with connect_error "token required" and data {"hint":"send auth.token"}; Ada connected'],
      [
        false,
        'Eve was refused with connect_error "token required"; expected Eve to connect; Eve received nothing (it was refused with connect_error "token required"); expected welcome',
      ],
      [
        false,
        'Eve could not receive anything (it was refused with connect_error "token required"); Eve could not receive anything (it was refused with connect_error "token required")',
      ],
      [
        false,
        'Ada\'s join "room-1" was answered with {"ok":true,"room":"room-1"}; expected {"ok":false}; Ada\'s join "room-2" got no answer within 0.3 s; expected {"ok":true}',
      ],
    ],
  );
});

test("a client answers the server's acks as a step says", async () => {
  const [r] = await withServer(
    (s) => s.on("connection", (socket) => socket.emit("rate-us", "how was it?", (stars) => socket.emit("thanks", stars))),
    (url) =>
      grade(url, abc, [
          {
            name: "answer",
            steps: [
              { client: "A", answers: "rate-us", with: [5] },
              { client: "A", connect: true },
            ],
            expect: [
              { client: "A", receives: "thanks", args: [5] },
              { client: "B", receives: "rate-us", args: ["how was it?"] },
              { client: "B", misses: "thanks" },
            ],
          },
        ]),
  );
  assert.equal(r.passed, true, r.explanation);
});

test("waits_for holds the steps until an event arrives, and says so when it never does", async () => {
  const results = await withServer(
    (s) =>
      s.on("connection", (socket) =>
        socket.on("later", (text) => setTimeout(() => s.emit("news", text), 100)),
      ),
    (url) =>
      grade(url, abc, [
          {
            name: "arrives",
            steps: [
              { client: "A", emit: "later", args: ["x"] },
              { client: "B", waits_for: "news", args: ["x"] },
              { client: "B", disconnect: true },
            ],
            expect: [{ client: "B", receives: "news", args: ["x"] }],
          },
          {
            name: "never",
            steps: [{ client: "A", waits_for: "news" }],
            expect: [{ client: "C", receives: "nothing" }],
          },
        ]),
  );
  assert.deepEqual(
    results.map((r) => [r.passed, r.explanation]),
    [
      [true, 'Passed: B received news "x"'],
      [false, "A waited 0.6 s for news; it never came"],
    ],
  );
});
