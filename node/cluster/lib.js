// What the cluster checkers (drive.js, sticky-check.js) share: the output contract read by
// cluster_test.go and the bounded wait.

// STEP_MS bounds one wait; it only turns a hang into a failure.
export const STEP_MS = 5000;

// checks prints one JSON line per check, {"check", "want", "got"}, and counts the failures; a
// step that cannot go on (a rejected promise nobody handles) ends the run with {"error", ...}
// and exit status 1. totalMs bounds the whole run.
export function checker(totalMs) {
  const state = { checks: 0, failed: 0 };
  setTimeout(() => {
    console.log(JSON.stringify({ error: "did not finish in time", ...state }));
    process.exit(1);
  }, totalMs).unref();
  process.on("unhandledRejection", (err) => {
    console.log(JSON.stringify({ error: String(err && err.message), ...state }));
    process.exit(1);
  });
  return {
    check(name, want, got) {
      state.checks++;
      if (JSON.stringify(want) !== JSON.stringify(got)) state.failed++;
      console.log(JSON.stringify({ check: name, want, got }));
    },
    // end prints {"checks": N, "failed": M} and exits (1 if a check failed).
    end() {
      console.log(JSON.stringify(state));
      process.exit(state.failed ? 1 : 0);
    },
  };
}

// until resolves once cond() holds, checked every 5 ms; rejects after STEP_MS.
export function until(what, cond) {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve();
    const started = Date.now();
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() - started > STEP_MS) {
        clearInterval(t);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 5);
  });
}
