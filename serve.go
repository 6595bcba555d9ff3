package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"socketlab/playground/engineio"
	"socketlab/web"
)

// HTTP server limits (reliability.md §3). WriteTimeout stays 0: long-polling GETs are held up to
// pingInterval and the hub sets per-request deadlines itself; every other handler is fast.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 10 * time.Second

	// Every demo and class hub of the process shares one admission (reliability.md T09): at most
	// maxSessions Engine.IO sessions open, new ones at sessionRate per second after a burst that
	// lets a few classes' lesson pages (12 demo clients each) and a 300-student class join at once.
	// Refused handshakes get 503 and socket.io-client retries; there is no per-address limit.
	maxSessions  = 10_000
	sessionRate  = 200
	sessionBurst = 1_000
)

// serveConfig is the serve command's flags: the web app's part, and what only main uses.
type serveConfig struct {
	web.Config   // Origins is computed once the listener's port is known
	addr         string
	extraOrigins string
	logLevel     slog.Level
}

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	var cfg serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := getenv("SOCKETLAB_ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}
	fs.StringVar(&cfg.addr, "addr", addr, "`host:port` to listen on (env SOCKETLAB_ADDR)")
	fs.StringVar(&cfg.PublicURL, "public-url", getenv("SOCKETLAB_PUBLIC_URL"), "`URL` students use to reach this server, e.g. http://192.168.1.20:8080 (env SOCKETLAB_PUBLIC_URL); it is allowed as an Origin")
	origins := getenv("SOCKETLAB_ORIGINS")
	fs.StringVar(&origins, "origins", origins, "comma-separated extra `origins` allowed to open sockets, exactly scheme://host:port (env SOCKETLAB_ORIGINS)")
	fs.StringVar(&cfg.LessonDir, "lessons", "", "serve lessons from this `dir` instead of the embedded course")
	fs.BoolVar(&cfg.Drafts, "drafts", false, "show draft lessons")
	fs.BoolVar(&cfg.Watch, "watch", false, "with -lessons: re-render a lesson when its file changes and reload the browser tabs showing it")
	fs.BoolVar(&cfg.Verbose, "v", false, "with -watch: log requests and socket events at INFO too (by default they are DEBUG under -watch, so lesson problems stand out)")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if cfg.Watch && cfg.LessonDir == "" {
		return cfg, errors.New("serve: -watch needs -lessons DIR (the embedded course cannot change)")
	}
	if err := cfg.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return cfg, fmt.Errorf("serve: -log-level: %w", err)
	}
	cfg.extraOrigins = origins
	return cfg, nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	cfg, err := parseServeFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	cfg.Origins, err = allowedOrigins(cfg.addr, ln.Addr().String(), cfg.PublicURL, cfg.extraOrigins)
	if err != nil {
		return err
	}
	cfg.Admission = newAdmission()
	app, err := web.New(log, cfg.Config)
	if err != nil {
		return err
	}
	defer app.Close()
	log.Info("serving Socket Lab", "url", "http://"+ln.Addr().String(), "lessons", app.Lessons(), "startup", time.Since(start).Round(time.Microsecond), "origins", strings.Join(cfg.Origins, " "))
	fmt.Fprintf(stdout, "Socket Lab is running at http://%s\n", ln.Addr())
	return serveUntilDone(ctx, log, ln, app.Handler(), app.Close)
}

// serveUntilDone serves handler on ln with our server limits until ctx ends, then shuts down
// gracefully: closeHubs (the hubs' sessions, including hijacked WebSocket connections, which
// Shutdown does not track), then the HTTP server, within shutdownTimeout.
func serveUntilDone(ctx context.Context, log *slog.Logger, ln net.Listener, handler http.Handler, closeHubs func()) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// The hubs first, while the server still serves: their sessions flush what is queued and
	// close (WebSocket 1001), and polling clients fetch their last poll (reliability.md T43);
	// new handshakes get 503. Then Shutdown ends the HTTP side (hijacked connections are
	// the hubs' own, which Shutdown does not track).
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	hubsClosed := make(chan struct{})
	go func() { closeHubs(); close(hubsClosed) }()
	select {
	case <-hubsClosed:
	case <-sctx.Done():
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// allowedOrigins is the exact Origin allowlist for pages and sockets: the origins this server is
// reached at on this machine, the public URL, and any extra origins. Never derived from a request.
func allowedOrigins(addr, listening, publicURL, extra string) ([]string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("-addr %q: %w", addr, err)
	}
	_, port, err := net.SplitHostPort(listening)
	if err != nil {
		return nil, fmt.Errorf("listener address %q: %w", listening, err)
	}
	var out []string
	add := func(o string) {
		o = strings.TrimRight(strings.ToLower(strings.TrimSpace(o)), "/")
		if o == "" {
			return
		}
		for _, x := range out {
			if x == o {
				return
			}
		}
		out = append(out, o)
	}
	{
		for _, h := range []string{"localhost", "127.0.0.1", "[::1]"} {
			add("http://" + h + ":" + port)
		}
		if host != "" && host != "localhost" && host != "0.0.0.0" && host != "::" {
			add("http://" + net.JoinHostPort(host, port))
		}
	}
	for _, o := range append([]string{publicURL}, strings.Split(extra, ",")...) {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			return nil, fmt.Errorf("origin %q: want scheme://host[:port]", o)
		}
		add(o)
	}
	return out, nil
}

// newAdmission is the process's one admission for new Engine.IO sessions.
func newAdmission() *engineio.Admission {
	return engineio.NewAdmission(maxSessions, sessionRate, sessionBurst)
}
