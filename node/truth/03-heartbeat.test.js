// Lesson 03, the heartbeat with its default timing, on node:test's mock clock. In a file of its
// own: each test file is its own process, so the mocked setTimeout cannot touch other tests' timers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { start, serverSocket } from "./lib.js";

// ... and with those defaults, a client whose pongs stop is dropped with "ping timeout" after one
// ping (at 25 s) plus 20 s without an answer, not before (engine.io lib/socket.ts schedulePing and
// resetPingTimeout). The timers are node:test's mock timers: no waiting.
test("with the default heartbeat a silent client is dropped 25 s + 20 s later, with 'ping timeout'", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] }); // before the connection: the server's ping timers are mocked
  const own = await start();
  try {
    const c = await own.client("/", { transports: ["websocket"] });
    const s = serverSocket(own.io, c);
    let reason;
    s.on("disconnect", (r) => (reason = r));
    const tcp = c.io.engine.transport.ws._socket;
    tcp.pause(); // the client's network freezes: no pong will come
    t.mock.timers.tick(25_000); // the server sends its ping
    t.mock.timers.tick(19_999);
    assert.equal(reason, undefined, "still connected 1 ms before the timeout");
    assert.equal(s.connected, true);
    t.mock.timers.tick(1);
    assert.equal(reason, "ping timeout");
    tcp.destroy();
  } finally {
    t.mock.timers.tick(60_000); // runs the close timers scheduled on the mocked clock (ws's closeTimeout)
    t.mock.timers.reset();
    await own.close();
  }
});
