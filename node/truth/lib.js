// Shared helpers for the truth tests: a real socket.io 4.8.4 server on 127.0.0.1 (ephemeral port)
// and real socket.io-client 4.8.4 connections to it. Everything is event-driven: no sleeps.
//
// "Who did NOT receive it" is proven with a fence: after the emit under test, the server sends a
// "fence" event to every client of the namespace. Packets on one connection arrive in order, so a
// client that has its fence and not the message will never get the message.
import { createServer } from "node:http";
import { once } from "node:events";
import { Server } from "socket.io";
import { io as ioc } from "socket.io-client";

export { once };

// start returns a real server and a factory for connected clients. Call close() in `after`.
export async function start(serverOpts = {}, setup = () => {}) {
  // Any request outside the Socket.IO path gets a 404, like a real web server would answer.
  const http = createServer((req, res) => res.writeHead(404).end("not found"));
  const io = new Server(http, serverOpts);
  setup(io);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const url = `http://127.0.0.1:${http.address().port}`;
  const clients = [];

  // client(nsp, opts) resolves once the socket is connected (or rejects on connect_error).
  function client(nsp = "/", opts = {}) {
    const c = socket(nsp, opts);
    return new Promise((resolve, reject) => {
      c.once("connect", () => resolve(c));
      c.once("connect_error", (err) => reject(err));
    });
  }

  // socket(nsp, opts) returns the client socket without waiting for anything.
  function socket(nsp = "/", opts = {}) {
    const c = ioc(url + nsp, { forceNew: true, reconnection: false, ...opts });
    clients.push(c);
    return c;
  }

  async function close() {
    for (const c of clients) c.disconnect();
    await new Promise((resolve) => io.close(() => resolve()));
  }

  return { io, url, client, socket, close };
}

// record(c) keeps every event client c receives, in order, as [event, ...args], in c.got.
export function record(c) {
  c.got = [];
  c.onAny((ev, ...args) => c.got.push([ev, ...args]));
  return c;
}

// fence makes the namespace's server emit "fence" to every socket and waits until each of the
// given clients has it. After that, each client's record is final for everything emitted earlier.
export async function fence(nsp, clients) {
  const waits = clients.map((c) => once(c, "fence"));
  nsp.emit("fence");
  await Promise.all(waits);
}

// serverSocket finds the server-side socket of a connected client (the ids are equal).
export function serverSocket(io, c, nsp = "/") {
  const s = io.of(nsp).sockets.get(c.id);
  if (!s) throw new Error(`no server socket for ${c.id} in ${nsp}`);
  return s;
}

// upgraded resolves once the server runs the client's connection on WebSocket. Close a
// connection from the server only after it: engine.io closes a long-polling transport with no
// pending request (as during the upgrade) only at its next request, with a 30 s fallback timer
// (closeTimeout) that nothing clears once the client is gone, which holds Node open.
export function upgraded(io, c, nsp = "/") {
  const conn = serverSocket(io, c, nsp).conn;
  return conn.transport.name === "websocket" ? Promise.resolve() : once(conn, "upgrade");
}

// names lists, sorted, the names of the clients whose record contains event `ev`.
export function receivers(named, ev) {
  return Object.entries(named)
    .filter(([, c]) => c.got.some(([e]) => e === ev))
    .map(([name]) => name)
    .sort();
}
