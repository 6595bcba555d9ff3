// Shared by the exercise tests: the exercises of the lessons (as `socketlab exercises` prints
// them, the same config a lesson page gets) and a student server run by a command.
import { execFileSync, spawn } from "node:child_process";
import { createServer, connect } from "node:net";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Which server runs the student's code. SWITCH FOR THE LEAD: set EXERCISE_SERVER to a command
 * with {port} and {file}, e.g.
 *   EXERCISE_SERVER="./socketlab run -addr 127.0.0.1:{port} {file}"   (run from the repo root)
 * Default: npm socket.io 4.8 through node/exercise/host.js. The command runs in the repo root.
 */
export const serverCommand = process.env.EXERCISE_SERVER || `node node/exercise/host.js {port} {file}`;

/**
 * The cluster demo's exercises need three servers sharing a broker, their clients routed by
 * `?server=`: EXERCISE_CLUSTER_SERVER, by default node/exercise/cluster-host.js (npm socket.io
 * 4.8 with @socket.io/redis-adapter on a redis-server it starts).
 */
export const clusterCommand = process.env.EXERCISE_CLUSTER_SERVER || `node node/exercise/cluster-host.js {port} {file}`;

let binary = process.env.SOCKETLAB_BIN;

/** The socketlab binary: SOCKETLAB_BIN, or built once (go build) into a temporary folder. */
export function socketlabBinary() {
  if (!binary) {
    const dir = mkdtempSync(join(tmpdir(), "socketlab-bin-"));
    binary = join(dir, "socketlab");
    execFileSync("go", ["build", "-o", binary, "."], { cwd: root, stdio: "inherit", timeout: 600_000 });
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return binary;
}

/** Every exercise of lessons/, through the Go loader: what `socketlab exercises lessons` prints. */
export function loadExercises() {
  const out = execFileSync(socketlabBinary(), ["exercises", "lessons"], { cwd: root, encoding: "utf8", timeout: 60_000, maxBuffer: 16 << 20 });
  return JSON.parse(out);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const c = connect(port, "127.0.0.1");
    c.on("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(false));
  });
}

/**
 * Starts `code` on a server of serverCommand; returns {url, output(), stop()}. Waits (at most
 * 20 s) until the port accepts connections, and fails with the server's output if it exits.
 */
export async function startServer(code, command = serverCommand) {
  const dir = mkdtempSync(join(tmpdir(), "exercise-"));
  const file = join(dir, "server.js");
  writeFileSync(file, code);
  const port = await freePort();
  const [cmd, ...args] = command
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => a.replaceAll("{port}", String(port)).replaceAll("{file}", file));
  return spawnListening(cmd, args, port, () => rmSync(dir, { recursive: true, force: true }));
}

/** Runs `socketlab serve` on a free loopback port: {url, output(), stop()}. */
export async function startSocketlab() {
  const port = await freePort();
  return spawnListening(socketlabBinary(), ["serve", "-addr", `127.0.0.1:${port}`], port, () => {});
}

async function spawnListening(cmd, args, port, cleanup) {
  const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  let exited = null;
  child.on("exit", (code, signal) => (exited = { code, signal }));
  const stop = async () => {
    if (exited === null) {
      // SIGTERM first, so that a host stops what it started (cluster-host.js: its redis-server);
      // SIGKILL if it has not exited within 3 s.
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const late = setTimeout(() => child.kill("SIGKILL"), 3000);
      await gone;
      clearTimeout(late);
    }
    cleanup();
  };
  for (let i = 0; i < 400; i++) {
    if (exited) {
      await stop();
      throw new Error(`server exited (${JSON.stringify(exited)}) before listening:\n${output}`);
    }
    if (await canConnect(port)) return { url: `http://127.0.0.1:${port}`, output: () => output, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`server did not listen on ${port} within 20 s:\n${output}`);
}
