// Command socketlab serves Socket Lab: Markdown lessons about real-time messaging with live demos
// that run against a Socket.IO-compatible hub inside this binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	if servesClients(os.Args) {
		softMemoryLimit(os.Getenv) // the process's, so not set by tests that call run
	}
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if pe := (programError{}); errors.As(err, &pe) {
			fmt.Fprintln(os.Stderr, err) // FILE:line:col: …
		} else {
			fmt.Fprintf(os.Stderr, "socketlab: %v\n", err)
		}
		os.Exit(1)
	}
}

const usage = `Usage: socketlab [command] [flags]

Commands:
  serve         serve the lessons and the live demos (the default)
  check         check every lesson of a folder (default ./lessons, else the embedded course)
  new           write the next numbered lesson of a folder, ready to edit
  export        write the course as a static site (demos show what they do and how to run them live)
  run           serve one Socket.IO server program (FILE.js) with the playground attached
  exercises     print the lessons' graded exercises as JSON (starter, solution, checks)
  conformance   serve the hub as the official Engine.IO/Socket.IO test suites expect (:3000)
  bench-server  serve the hub with the benchmark handlers
  loadgen       drive a load against a Socket.IO server over loopback

Run "socketlab COMMAND -h" for a command's flags.
`

// run is the whole program: main only calls it, and tests drive it the same way.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "run":
		return runRun(ctx, rest, getenv, stdout, stderr)
	case "check":
		return ignoreHelp(runCheck(rest, stdout, stderr))
	case "new":
		return ignoreHelp(runNew(rest, stdout, stderr))
	case "export":
		return ignoreHelp(runExport(rest, stdout, stderr))
	case "exercises":
		return ignoreHelp(runExercises(rest, stdout, stderr))
	case "conformance":
		return runConformance(ctx, rest, getenv, stdout, stderr)
	case "bench-server":
		return runBenchServer(ctx, rest, getenv, stdout, stderr)
	case "loadgen":
		return runLoadgen(ctx, rest, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
