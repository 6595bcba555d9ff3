// Benchmark server: the npm socket.io 4.8.4 with the handlers the Go load generator
// (socketlab loadgen) drives. The Go hub serves the same contract as `socketlab bench-server`;
// see README.md next to this file.
//
//   node --expose-gc node/bench/server.js [PORT]     (or PORT=3001; listens on 127.0.0.1 only)
//
// With REDIS_URL=redis://HOST:PORT the server shares its namespaces through
// @socket.io/redis-adapter (classic pub/sub, default key), as `socketlab bench-server -redis URL`:
// the cross-process fan-out of node/bench/cluster.sh.
//
// Prints "listening http://127.0.0.1:PORT" on stdout once ready.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? process.env.PORT ?? 3001);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`bad port ${process.argv[2] ?? process.env.PORT}`);
  process.exit(2);
}
const host = '127.0.0.1';

const http = createServer((req, res) => {
  const url = new URL(req.url, `http://${host}`);
  if (req.method === 'GET' && url.pathname === '/stats') {
    if (url.searchParams.get('gc') === '1' && typeof globalThis.gc === 'function') {
      globalThis.gc();
    }
    const mem = process.memoryUsage();
    const body = JSON.stringify({
      runtime: `node ${process.version}, socket.io 4.8.4${process.env.REDIS_URL ? ', @socket.io/redis-adapter 8.3.0' : ''}`,
      rss: mem.rss,
      heap: mem.heapUsed,
      connections: io.engine.clientsCount,
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(body);
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\n');
});

// Defaults otherwise (pingInterval 25 s, maxHttpBufferSize 1e6, no compression, polling + websocket).
const opts = { serveClient: false };
let redisClients = [];
if (process.env.REDIS_URL) {
  const { createClient } = await import('redis');
  const { createAdapter } = await import('@socket.io/redis-adapter');
  const pub = createClient({ url: process.env.REDIS_URL });
  const sub = pub.duplicate();
  let ready = false;
  for (const c of [pub, sub]) {
    c.on('error', (err) => {
      console.error(`redis: ${err.message}`);
      if (!ready) process.exit(1);
    });
  }
  await Promise.all([pub.connect(), sub.connect()]);
  ready = true;
  redisClients = [pub, sub];
  opts.adapter = createAdapter(pub, sub);
}
const io = new Server(http, opts);

function handlers(socket) {
  socket.on('join', (room, ack) => {
    socket.join(String(room));
    if (typeof ack === 'function') ack();
  });
  socket.on('leave', (room, ack) => {
    socket.leave(String(room));
    if (typeof ack === 'function') ack();
  });
  socket.on('fanout', (room, payload) => {
    if (room === '') socket.broadcast.emit('msg', payload);
    else socket.to(String(room)).emit('msg', payload);
  });
  socket.on('echo', (...args) => {
    const ack = args.pop();
    if (typeof ack === 'function') ack(...args);
  });
}
io.of('/').on('connection', handlers);
io.of('/ns').on('connection', handlers);

http.on('error', (err) => {
  console.error(`bench server: ${err.message}`);
  process.exit(1);
});
http.listen(port, host, () => {
  console.log(`listening http://${host}:${port}`);
});

function shutdown() {
  io.close(() => Promise.allSettled(redisClients.map((c) => c.quit())).then(() => process.exit(0))); // also closes the HTTP server
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
