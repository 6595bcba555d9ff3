// Stand-in for "socket.io-client" in the lessons' samples, and the global io() of their browser
// samples. It is npm socket.io-client's own io(), with the address replaced: a sample's io() (the
// page's own server), io("/org-acme") or io("https://shop.example/orders") connects to the
// harness's server on 127.0.0.1 with the same path and namespace. The options are passed unchanged.
import { io as realIo } from "socket.io-client";

export * from "socket.io-client";

export function io(uri, opts) {
  if (typeof uri === "object") {
    opts = uri;
    uri = undefined;
  }
  const ctx = globalThis.__samples;
  if (!ctx.url) throw new Error("sample harness: no server is listening yet");
  let target = ctx.url;
  if (typeof uri === "string") {
    const path = uri.startsWith("/") ? uri : new URL(uri).pathname;
    if (path !== "/") target += path;
  }
  const socket = realIo(target, opts);
  ctx.clients.push(socket);
  return socket;
}

export default io;
