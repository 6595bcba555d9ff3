// serve.js: runs a demo kind's server JavaScript (what the demo shows) on npm socket.io, for
// playground/kinds_test.go. Reads {"code": "...", "options": {...}} on stdin, listens on
// 127.0.0.1, prints {"port": N} as its first line, then the code's console.log lines.
import { createServer } from "node:http";
import { Server } from "socket.io";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { code, options } = JSON.parse(input);

const httpServer = createServer();
const io = new Server(httpServer, options);
// The code runs with a global io and nothing else, as in the playground (no require, no import).
new Function("io", code)(io);
httpServer.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: httpServer.address().port }));
});
