// startRedisServer runs a throwaway /usr/bin/redis-server on a free 127.0.0.1 port (no
// persistence) and resolves, once it accepts connections, with {url, stop()}. Used by the tests
// and hosts that need a real Redis next to the npm @socket.io/redis-adapter.
import { spawn } from "node:child_process";
import { createServer } from "node:net";

export async function startRedisServer() {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn("/usr/bin/redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
  await new Promise((resolve, reject) => {
    child.on("error", reject);
    child.stdout.on("data", (d) => d.toString().includes("Ready to accept connections") && resolve());
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill("SIGKILL") };
}
