// The Node side of the differential test: npm socket.io 4.8 running a student's server program,
// exactly as `socketlab run FILE.js` runs it on the Go hub.
//
//   node node/diff/host.js PORT FILE.js      (PORT 0 picks a free port)
//
// FILE is plain socket.io v4 server JavaScript that uses a global `io` (no import; require for
// node:crypto only),
// evaluated as a script in Node's own realm (so Uint8Array/ArrayBuffer are the ones socket.io
// knows). Its console.log goes to stdout. Once the server listens, stdout gets the ready line
//
//   listening http://127.0.0.1:PORT
//
// (the same line `socketlab run` prints; see run_diff_test.go for the contract).
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { createRequire } from "node:module";
import { Server } from "socket.io";

const [portArg, file] = process.argv.slice(2);
const port = Number(portArg);
if (!file || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: node host.js PORT FILE.js");
  process.exit(2);
}
const code = readFileSync(file, "utf8");

// A 404 outside /socket.io/, socket.io's defaults otherwise (polling + websocket, pingInterval 25 s).
const http = createServer((req, res) => res.writeHead(404).end("not found\n"));
const io = new Server(http);
globalThis.io = io;
// A CommonJS server.js has require; the sandbox answers it for node:crypto only.
globalThis.require = createRequire(import.meta.url);
vm.runInThisContext(code, { filename: file });

http.listen(port, "127.0.0.1", () => {
  console.log(`listening http://127.0.0.1:${http.address().port}`);
});
