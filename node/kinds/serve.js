// serve.js: runs a demo kind's server JavaScript (what the demo shows) on npm socket.io, for
// playground/kinds_test.go. Reads {"code": "...", "options": {...}} on stdin, listens on
// 127.0.0.1, prints {"port": N} as its first line, then the code's console.log lines.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { Server } from "socket.io";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { code, options } = JSON.parse(input);

const httpServer = createServer();
const io = new Server(httpServer, options);
// The code runs with a global io and require, as in the playground (whose require answers
// node:crypto only; no import).
new Function("io", "require", code)(io, createRequire(import.meta.url));
httpServer.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: httpServer.address().port }));
});
