package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"socketlab/web"
)

// runUsage is `socketlab run -h`.
const runUsage = `Usage: socketlab run [flags] FILE.js

Serve Socket.IO at /socket.io/ with FILE's code run against a global io (socket.io 4.x server
JavaScript, the code the demos' editor runs: no require), and the playground attached to that hub
at /. console.log and console.info print to stdout, console.warn/error and uncaught errors to
stderr. A program that does not compile or throws at its top level is an error, FILE:line:col.

`

// runRun is `socketlab run`: one program's hub, served until ctx ends (or Ctrl-C / SIGTERM).
func runRun(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fset := flagSet("run", stderr)
	addr := fset.String("addr", "localhost:3000", "`host:port` to listen on (socket.io's usual port; :3000 for every interface)")
	publicURL := fset.String("public-url", getenv("SOCKETLAB_PUBLIC_URL"), "`URL` other devices use to reach this server, e.g. http://192.168.1.20:3000 (env SOCKETLAB_PUBLIC_URL); it is allowed as an Origin")
	origins := fset.String("origins", getenv("SOCKETLAB_ORIGINS"), "comma-separated extra `origins` whose pages may open sockets, exactly scheme://host:port, e.g. your dev server's http://localhost:5173 (env SOCKETLAB_ORIGINS)")
	cookie := fset.String("cookie", getenv("SOCKETLAB_COOKIE"), "with a `name` (engine.io's usual is io), every polling handshake sets that cookie to the session id, for a load balancer's sticky routing (env SOCKETLAB_COOKIE; docs/deploy.md)")
	level := fset.String("log-level", "warn", "log level of the server's own log on stderr: debug, info, warn or error")
	cluster := addClusterFlags(fset, getenv)
	fset.Usage = func() {
		fmt.Fprint(stderr, runUsage)
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return ignoreHelp(err)
	}
	if fset.NArg() != 1 {
		fset.Usage()
		return fmt.Errorf("run: want one FILE.js, got %d arguments", fset.NArg())
	}
	file := fset.Arg(0)
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("run: -log-level: %w", err)
	}
	code, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("run: listen: %w", err)
	}
	defer ln.Close()
	cfg := web.Config{PublicURL: *publicURL, Admission: newAdmission(), Cookie: *cookie}
	if cfg.Origins, err = allowedOrigins(*addr, ln.Addr().String(), *publicURL, *origins); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	cfg.Run = &web.RunConfig{File: file, Code: string(code), Console: consoleTo(stdout, stderr)}
	if cfg.Cluster, err = cluster.open(ctx, log); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer closeCluster(cfg.Cluster, log) // after app.Close: the hubs first
	app, err := web.New(log, cfg)
	if err != nil {
		return programError{err}
	}
	defer app.Close()
	log.Info("serving", "file", file, "url", "http://"+ln.Addr().String(), "origins", strings.Join(cfg.Origins, " "))
	fmt.Fprintf(stdout, "Socket Lab run listening on http://%s\n", ln.Addr())
	return serveUntilDone(ctx, log, ln, app.Handler(), app.Close)
}

// consoleTo prints a program's console as Node does: console.log, info and debug on stdout,
// console.warn, console.error and the sandbox's own messages (uncaught errors, stops) on stderr,
// one call a line, whole lines even when calls come from several goroutines.
func consoleTo(stdout, stderr io.Writer) func(level, text string) {
	var mu sync.Mutex
	return func(level, text string) {
		w := stdout
		if level == "warn" || level == "error" {
			w = stderr
		}
		mu.Lock()
		defer mu.Unlock()
		io.WriteString(w, text+"\n")
	}
}

// programError is a program that cannot start: main prints it as it is, FILE:line:col: …, the
// shape editors and terminals link to the file.
type programError struct{ error }

func (e programError) Unwrap() error { return e.error }
