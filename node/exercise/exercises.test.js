// Every exercise of the lessons, graded on a real server: its solution must pass every check,
// and its starter code must fail at least one (or the exercise teaches nothing). The server is
// npm socket.io 4.8 by default; EXERCISE_SERVER switches to another (see lib.js), e.g.
// `socketlab run`, so the same test holds the Go sandbox to the same scenarios.
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { runChecks } from "../../static/js/exercise-check.js";
import { loadExercises, startServer, serverCommand, clusterCommand } from "./lib.js";

const exercises = loadExercises();
const lessonsWithExercises = new Set(exercises.map((x) => x.slug));

test("the course has at least seven exercises, in the lessons the issue names", () => {
  assert.ok(exercises.length >= 7, `${exercises.length} exercises`);
  for (const slug of ["chat", "emit-and-broadcast", "rooms", "namespaces", "tenants", "acks", "queues"]) {
    assert.ok(lessonsWithExercises.has(slug), `lesson ${slug} has no exercise`);
  }
});

async function grade(x, code) {
  const server = await startServer(code, x.config.demo === "cluster" ? clusterCommand : serverCommand);
  try {
    const { clients, checks } = x.config;
    return { results: await runChecks({ io, url: server.url, clients, checks }), output: server.output() };
  } finally {
    await server.stop();
  }
}

function report(results) {
  return results.map((r) => `${r.passed ? "PASS" : "FAIL"} ${r.name}: ${r.explanation}`).join("\n");
}

for (const x of exercises) {
  const where = `${x.file}:${x.line} (${x.title || x.config.id})`;
  test(`${where}: the solution passes every check on ${serverCommand.split(" ")[0]}`, async () => {
    const { results, output } = await grade(x, x.config.solution);
    assert.equal(results.length, x.config.checks.length);
    assert.ok(results.every((r) => r.passed), `${report(results)}\nserver output:\n${output}`);
  });
  test(`${where}: the starter code fails a check`, async () => {
    const { results } = await grade(x, x.config.starter);
    const failed = results.filter((r) => !r.passed);
    assert.ok(failed.length > 0, `the starter passes:\n${report(results)}`);
    for (const r of failed) assert.match(r.explanation, /\S/, "a failure explains itself");
  });
}
