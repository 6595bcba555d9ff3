// Stand-in for "socket.io" in the lessons' samples (node/truth/lesson-samples.test.js rewrites the
// sample's import specifier to this file; nothing else in the sample changes). It is npm
// socket.io's own Server, with one difference: a port number (new Server(3000)) becomes an
// ephemeral port on 127.0.0.1, so a sample never binds a fixed port or a public address.
import { createServer } from "node:http";
import { Server as RealServer } from "socket.io";

export * from "socket.io";

export class Server extends RealServer {
  constructor(srv, opts) {
    const ctx = globalThis.__samples;
    if (typeof srv === "number") {
      const http = createServer((req, res) => res.writeHead(404).end());
      http.listen(0, "127.0.0.1");
      ctx.https.push(http);
      super(http, opts);
    } else {
      super(srv, opts);
    }
    ctx.servers.push(this);
  }
}
