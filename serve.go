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
	"sync"
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

	// Every demo hub of the process shares one admission (reliability.md T09): at most
	// maxSessions Engine.IO sessions open, new ones at sessionRate per second after a burst of
	// sessionBurst. One client address holds at most sessionsPerAddress of them and opens new ones
	// at sessionAddressRate after a burst of sessionAddressBurst (its own bucket, checked first):
	// one client cannot take every place nor every token, and a class behind one NAT (60 students
	// with a lesson page of up to 12 demo clients each: 720) still opens its pages at once.
	// Classes do not use this admission: each admits its students from sessions reserved for it
	// (playground.Spec.Reserve), so no flood here can refuse them. Refused handshakes get 503 and
	// socket.io-client retries.
	maxSessions         = 10_000
	sessionRate         = 200
	sessionBurst        = 2_000
	sessionsPerAddress  = 2_000
	sessionAddressRate  = 50
	sessionAddressBurst = 1_000
)

// serveConfig is the serve command's flags: the web app's part, and what only main uses.
type serveConfig struct {
	web.Config   // Origins is computed once the listener's port is known
	addr         string
	extraOrigins string
	logLevel     slog.Level
	cluster      *clusterFlags
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
	fs.IntVar(&cfg.SeatsPerAddress, "seats-per-address", web.DefaultSeatsPerAddress, "most `seats` of one class the devices behind one network address may take (a class behind one NAT shares its address)")
	fs.StringVar(&cfg.Cookie, "cookie", getenv("SOCKETLAB_COOKIE"), "with a `name` (engine.io's usual is io), every polling handshake sets that cookie to the session id, for a load balancer's sticky routing (env SOCKETLAB_COOKIE; docs/deploy.md)")
	fs.BoolVar(&cfg.Watch, "watch", false, "with -lessons: re-render a lesson when its file changes and reload the browser tabs showing it")
	state := getenv("SOCKETLAB_STATE")
	if state == "" {
		state = web.StatePath(getenv)
	}
	fs.StringVar(&cfg.StatePath, "state", state, "`file` the classes are kept in, so that a restart loses none (env SOCKETLAB_STATE; default $XDG_STATE_HOME/socketlab/classes.db or ~/.local/state/socketlab/classes.db; -state= keeps them in memory only)")
	fs.BoolVar(&cfg.Verbose, "v", false, "with -watch: log requests and socket events at INFO too (by default they are DEBUG under -watch, so lesson problems stand out)")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	cfg.cluster = addClusterFlags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if cfg.SeatsPerAddress < 1 {
		return cfg, fmt.Errorf("serve: -seats-per-address %d: want at least 1", cfg.SeatsPerAddress)
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
	if cfg.PublicURL == "" {
		// Where students' devices can reach us: the projector's QR and join address. They are
		// this machine's own addresses, so pages opened at them may open sockets too.
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			log.Warn("listing this machine's network addresses for the class join address", "err", err)
		}
		cfg.JoinBases, cfg.JoinProblem = joinBases(cfg.addr, port, addrs)
	}
	cfg.Origins, err = allowedOrigins(cfg.addr, ln.Addr().String(), cfg.PublicURL, strings.Join(append([]string{cfg.extraOrigins}, cfg.JoinBases...), ","))
	if err != nil {
		return err
	}
	cfg.Admission = newAdmission()
	if cfg.Cluster, err = cfg.cluster.open(ctx, log); err != nil {
		return err
	}
	defer closeCluster(cfg.Cluster, log) // after app.Close: the hubs first
	app, err := web.New(log, cfg.Config)
	if err != nil {
		return err
	}
	defer app.Close()
	log.Info("serving Socket Lab", "url", "http://"+ln.Addr().String(), "lessons", app.Lessons(), "startup", time.Since(start).Round(time.Microsecond), "origins", strings.Join(cfg.Origins, " "))
	fmt.Fprintf(stdout, "Socket Lab is running at http://%s\n", ln.Addr())
	if len(cfg.JoinBases) > 0 {
		fmt.Fprintf(stdout, "Other devices on your network can open %s\n", cfg.JoinBases[0])
	}
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
	rctx, stopReclaim := context.WithCancel(ctx)
	var reclaiming sync.WaitGroup
	reclaiming.Go(func() { reclaimMemory(rctx, log, memoryReclaimInterval) })
	defer func() { stopReclaim(); reclaiming.Wait() }()
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

// newAdmission is the process's one admission for the demo hubs' new Engine.IO sessions.
func newAdmission() *engineio.Admission {
	return engineio.NewAdmission(maxSessions, sessionRate, sessionBurst).
		SetShare(engineio.Share{Open: sessionsPerAddress, Rate: sessionAddressRate, Burst: sessionAddressBurst})
}
