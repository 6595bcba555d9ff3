// node host.js PORT FILE.js: serves Socket.IO (npm socket.io 4.8) on 127.0.0.1:PORT (0: any free
// port) and runs FILE's code as a script with the server as the global `io`, as the editor and
// `socketlab run` do. Prints "listening PORT" once it accepts connections. An exception in the
// student's code is printed and the server keeps serving, like the Go sandbox.
// (The difftest branch writes node/diff/host.js for the same job; this one keeps the exercise
// test independent of it.)
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { createRequire } from "node:module";
import { Server } from "socket.io";

const [port, file] = process.argv.slice(2);
if (port === undefined || !file) {
  console.error("usage: node host.js PORT FILE.js");
  process.exit(2);
}
const code = readFileSync(file, "utf8");
const httpServer = createServer();
const io = new Server(httpServer);
globalThis.io = io;
globalThis.require = createRequire(import.meta.url); // the sandbox answers node:crypto only
process.on("uncaughtException", (err) => console.error("uncaught:", err?.stack ?? err));
process.on("unhandledRejection", (err) => console.error("unhandled rejection:", err?.stack ?? err));
vm.runInThisContext(code, { filename: file });
httpServer.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});
process.on("SIGTERM", () => io.close(() => process.exit(0)));
