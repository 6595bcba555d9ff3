// A burst of acknowledged requests from the npm socket.io-client, sent without waiting for any
// answer, as an honest but fast client does: `for (…) socket.emitWithAck("echo", i)`.
//
// Run by the Go test TestNodeAckBurst (playground/backpressure_node_test.go), which serves the
// hub on 127.0.0.1 and passes:
//   HUB_URL     the hub's URL
//   TRANSPORTS  comma-separated socket.io-client transports ("websocket", "polling", or both)
//   CLIENTS     how many clients burst at once
//   COUNT       requests per client
// It prints one JSON line: for each client, how many answers arrived, how many were the echo and
// how many an error answer (by message), the first answer that came out of order or was neither
// (null if none), the disconnect reason seen before the last answer, and ms, the time from its
// connect to its last answer (what BenchmarkAckBurst reports).
// The Go test decides what is right; this file only reports what the client saw.
import { io } from "socket.io-client";

const URL = process.env.HUB_URL;
const transports = (process.env.TRANSPORTS || "websocket").split(",");
const clients = Number(process.env.CLIENTS || 1);
const count = Number(process.env.COUNT || 1000);
if (!URL) throw new Error("HUB_URL is not set: run this through `go test -run TestNodeAckBurst ./playground`");

function burst() {
  return new Promise((resolve) => {
    const s = io(URL, { forceNew: true, reconnection: false, transports });
    const report = { answers: 0, echoed: 0, errors: {}, firstWrong: null, disconnect: null, connectError: null, ms: 0 };
    let start = 0;
    const done = () => {
      s.disconnect();
      resolve(report);
    };
    s.on("connect_error", (err) => {
      report.connectError = err.message;
      done();
    });
    s.on("disconnect", (reason) => {
      if (report.answers < count) {
        report.disconnect = reason;
        resolve(report);
      }
    });
    s.once("connect", () => {
      start = performance.now();
      for (let i = 0; i < count; i++) {
        s.emitWithAck("echo", i).then((v) => {
          const inOrder = i === report.answers; // request i's answer is the i-th to arrive
          if (v === i) {
            report.echoed++;
          } else if (v !== null && typeof v === "object" && typeof v.error === "string") {
            report.errors[v.error] = (report.errors[v.error] || 0) + 1;
          } else if (report.firstWrong === null) {
            report.firstWrong = { request: i, got: v };
          }
          if (!inOrder && report.firstWrong === null) report.firstWrong = { request: i, arrived: report.answers };
          report.answers++;
          if (report.answers === count) {
            report.ms = performance.now() - start;
            done();
          }
        }, () => {}); // rejected when the connection is lost: the disconnect is reported
      }
    });
  });
}

const reports = await Promise.all(Array.from({ length: clients }, burst));
console.log(JSON.stringify(reports));
