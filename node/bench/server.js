// Benchmark server: the npm socket.io 4.8.4 with the handlers the Go load generator
// (socketlab loadgen) drives. The Go hub serves the same contract as `socketlab bench-server`;
// see README.md next to this file.
//
//   node --expose-gc node/bench/server.js [PORT]     (or PORT=3001; listens on 127.0.0.1 only)
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
      runtime: `node ${process.version}, socket.io 4.8.4`,
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
const io = new Server(http, { serveClient: false });

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
  io.close(() => process.exit(0)); // also closes the HTTP server
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
