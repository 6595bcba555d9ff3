// Helpers shared by the socket.io-client tests in this folder (hub.test.js, sandbox.test.js).
import { after } from "node:test";
import { io } from "socket.io-client";

// clients returns client(nsp, opts): a new socket.io-client socket on URL + nsp with no
// reconnection, disconnected after the test file; defaults are merged under opts.
// client.track(...sockets) disconnects sockets made otherwise after the file too.
export function clients(URL, defaults = {}) {
  const opened = [];
  after(() => opened.forEach((s) => s.disconnect()));
  const client = (nsp = "/", opts = {}) =>
    client.track(io(URL + nsp, { forceNew: true, reconnection: false, timeout: 5000, ...defaults, ...opts }));
  client.track = (...ss) => { opened.push(...ss); return ss[0]; };
  return client;
}

// once resolves with the arguments of the next ev, or rejects after ms.
export function once(emitter, ev, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${ev}`)), ms);
    emitter.once(ev, (...args) => { clearTimeout(t); resolve(args); });
  });
}

// emitWithAck resolves with the first ack argument only (as in socket.io-client); ackAll keeps all.
export const ackAll = (s, ...args) => new Promise((resolve, reject) => {
  s.timeout(5000).emit(...args, (err, ...resp) => (err ? reject(err) : resolve(resp)));
});

export const connected = (s) => (s.connected ? Promise.resolve() : once(s, "connect"));
