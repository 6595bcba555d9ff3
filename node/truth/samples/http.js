// Stand-in for "node:http" in the lessons' samples: Node's own createServer, whose listen(port)
// binds an ephemeral port on 127.0.0.1 instead of the sample's fixed one.
import * as http from "node:http";

export * from "node:http";

export function createServer(...args) {
  const server = http.createServer(...args);
  const listen = server.listen;
  server.listen = function (...listenArgs) {
    const cb = listenArgs.find((a) => typeof a === "function");
    return cb ? listen.call(this, 0, "127.0.0.1", cb) : listen.call(this, 0, "127.0.0.1");
  };
  globalThis.__samples.https.push(server);
  return server;
}

export default { ...http, createServer };
