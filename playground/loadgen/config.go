package loadgen

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Scenario names.
const (
	Fanout  = "fanout"
	Echo    = "echo"
	Connect = "connect"
	Idle    = "idle"
)

// Fan-out modes.
const (
	Closed = "closed" // a fixed number of messages in flight; the next one is sent when the slowest receiver got one
	Paced  = "paced"  // messages sent at a fixed rate of deliveries per second
)

// Hard bounds, whatever the flags say.
const (
	MaxConns    = 20000
	MaxDuration = 2 * time.Minute
	MaxSources  = 250
)

// Target is one server to measure: a name for the table and its Socket.IO WebSocket URL,
// e.g. ws://127.0.0.1:3001/socket.io/. The server's GET /stats must be on the same host:port.
// Several servers sharing a broker are one target, their URLs joined by "+"
// (ws://127.0.0.1:3001/socket.io/+ws://127.0.0.1:3002/socket.io/): fan-out receivers are spread
// over them in turn and the sender is on the first, so most deliveries cross processes; the
// other scenarios use the first server only.
type Target struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// urls are the target's servers.
func (t Target) urls() []string { return strings.Split(t.URL, "+") }

// Config says what to run. Every scenario runs against every target in turn, Rounds times.
type Config struct {
	Targets   []Target
	Scenarios []string // Fanout, Echo, Connect, Idle
	Rounds    int      // times the scenario list is run (0: once)
	Namespace string   // "/" or e.g. "/ns"

	Receivers []int    // fan-out receiver counts (one room each)
	Modes     []string // Closed, Paced
	Room      string   // fan-out room; "" = socket.broadcast.emit
	InFlight  int      // closed mode: messages in flight
	Rate      float64  // paced mode: deliveries per second (all receivers together)
	Payload   int      // extra payload padding bytes per fan-out message / echo
	Grace     time.Duration

	Clients int // echo: connections, each running a closed loop

	Conns       int // connect storm: connections
	IdleConns   int // idle memory: connections
	Concurrency int // connections being opened at once

	Duration time.Duration // per measured phase (fan-out mode, echo)
	Sources  int           // loopback source addresses 127.0.0.1..N
	CPU      int           // GOMAXPROCS for the generator; 0 = leave as is
	JSON     bool          // print the report as JSON instead of a table

	Progress io.Writer // optional progress lines

	stall time.Duration // closed fan-out gives up when no message completes for this long (tests shorten it)
}

// DefaultConfig is what Main starts from.
func DefaultConfig() Config {
	return Config{
		Scenarios:   []string{Idle, Fanout, Echo, Connect}, // idle first: a fresh server's RSS baseline
		Namespace:   "/",
		Receivers:   []int{1000, 10000},
		Modes:       []string{Closed, Paced},
		Room:        "bench",
		InFlight:    16,
		Rate:        50000,
		Grace:       2 * time.Second,
		Clients:     100,
		Conns:       10000,
		IdleConns:   10000,
		Concurrency: 200,
		Duration:    5 * time.Second,
		Sources:     16,
		stall:       5 * time.Second,
	}
}

func (cfg *Config) validate() error {
	var errs []error
	if len(cfg.Targets) == 0 {
		errs = append(errs, errors.New("no -target"))
	}
	for _, t := range cfg.Targets {
		for _, u := range t.urls() {
			if err := checkTarget(u); err != nil {
				errs = append(errs, fmt.Errorf("target %s: %w", t.Name, err))
			}
		}
	}
	if len(cfg.Scenarios) == 0 {
		errs = append(errs, errors.New("no -scenario"))
	}
	for _, s := range cfg.Scenarios {
		switch s {
		case Fanout, Echo, Connect, Idle:
		default:
			errs = append(errs, fmt.Errorf("unknown scenario %q", s))
		}
	}
	for _, m := range cfg.Modes {
		if m != Closed && m != Paced {
			errs = append(errs, fmt.Errorf("unknown fan-out mode %q", m))
		}
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "/"
	}
	if cfg.Namespace[0] != '/' || strings.ContainsAny(cfg.Namespace, ",?#") {
		errs = append(errs, fmt.Errorf("bad namespace %q", cfg.Namespace))
	}
	for _, n := range cfg.Receivers {
		if n < 1 || n > MaxConns {
			errs = append(errs, fmt.Errorf("receivers %d not in 1..%d", n, MaxConns))
		}
	}
	for name, n := range map[string]int{"clients": cfg.Clients, "conns": cfg.Conns, "idle": cfg.IdleConns} {
		if n < 1 || n > MaxConns {
			errs = append(errs, fmt.Errorf("%s %d not in 1..%d", name, n, MaxConns))
		}
	}
	if cfg.Rounds < 0 || cfg.Rounds > 10 {
		errs = append(errs, fmt.Errorf("rounds %d not in [0, 10]", cfg.Rounds))
	}
	if cfg.Duration <= 0 || cfg.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("duration %v not in (0, %v]", cfg.Duration, MaxDuration))
	}
	if cfg.Grace < 0 || cfg.Grace > time.Minute {
		errs = append(errs, fmt.Errorf("grace %v not in [0, 1m]", cfg.Grace))
	}
	if cfg.InFlight < 1 || cfg.InFlight > 1024 {
		errs = append(errs, fmt.Errorf("inflight %d not in 1..1024", cfg.InFlight))
	}
	if cfg.Rate <= 0 || cfg.Rate > 1e7 {
		errs = append(errs, fmt.Errorf("rate %v not in (0, 1e7]", cfg.Rate))
	}
	if cfg.Payload < 0 || cfg.Payload > 64<<10 {
		errs = append(errs, fmt.Errorf("payload %d not in 0..65536", cfg.Payload))
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > 5000 {
		errs = append(errs, fmt.Errorf("concurrency %d not in 1..5000", cfg.Concurrency))
	}
	if cfg.Sources < 1 || cfg.Sources > MaxSources {
		errs = append(errs, fmt.Errorf("sources %d not in 1..%d", cfg.Sources, MaxSources))
	}
	if cfg.CPU < 0 {
		errs = append(errs, fmt.Errorf("cpu %d < 0", cfg.CPU))
	}
	return errors.Join(errs...)
}

// checkTarget accepts only ws:// URLs to a loopback IP with an explicit port.
func checkTarget(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "ws" {
		return fmt.Errorf("scheme %q: want ws://127.0.0.1:PORT/socket.io/", u.Scheme)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() || ip.To4() == nil {
		return fmt.Errorf("host %q: only 127.x.x.x is allowed", u.Hostname())
	}
	if u.Port() == "" {
		return errors.New("missing port")
	}
	return nil
}

// parseTargets parses "name=url,url2,..."; a missing name defaults to host:port.
func parseTargets(s string) ([]Target, error) {
	var ts []Target
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, raw, ok := strings.Cut(part, "=")
		if !ok || strings.Contains(name, "/") {
			name, raw = "", part
		}
		if name == "" {
			first, _, _ := strings.Cut(raw, "+")
			u, err := url.Parse(first)
			if err != nil {
				return nil, fmt.Errorf("target %q: %w", raw, err)
			}
			name = u.Host
		}
		ts = append(ts, Target{Name: name, URL: raw})
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("empty target %q", s)
	}
	return ts, nil
}

func parseInts(s string) ([]int, error) {
	var ns []int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(strings.ReplaceAll(part, "_", ""))
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.ToLower(part), "k"))
		if err != nil {
			return nil, fmt.Errorf("bad number %q", part)
		}
		if strings.HasSuffix(strings.ToLower(part), "k") {
			n *= 1000
		}
		ns = append(ns, n)
	}
	return ns, nil
}

func parseList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

type targetsFlag struct{ ts *[]Target }

func (f targetsFlag) String() string {
	if f.ts == nil {
		return ""
	}
	var parts []string
	for _, t := range *f.ts {
		parts = append(parts, t.Name+"="+t.URL)
	}
	return strings.Join(parts, ",")
}

func (f targetsFlag) Set(s string) error {
	ts, err := parseTargets(s)
	if err != nil {
		return err
	}
	*f.ts = append(*f.ts, ts...)
	return nil
}

type funcFlag func(string) error

func (f funcFlag) String() string     { return "" }
func (f funcFlag) Set(s string) error { return f(s) }

// ParseFlags turns the command-line flags after "loadgen" into a Config.
func ParseFlags(args []string, stderr io.Writer) (Config, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.Var(targetsFlag{&cfg.Targets}, "target", "`name=url` of a server, e.g. node=ws://127.0.0.1:3001/socket.io/ (repeatable, or comma-separated); url+url… for servers sharing a broker (fan-out receivers spread over them)")
	fs.Var(funcFlag(func(s string) error {
		cfg.Scenarios = parseList(s)
		if len(cfg.Scenarios) == 1 && cfg.Scenarios[0] == "all" {
			cfg.Scenarios = DefaultConfig().Scenarios
		}
		return nil
	}), "scenario", "comma-separated `list` of idle, fanout, echo, connect, or all (default all, in this order)")
	fs.Var(funcFlag(func(s string) (err error) {
		cfg.Receivers, err = parseInts(s)
		return err
	}), "receivers", "fan-out receiver `counts`, comma-separated (default 1000,10000)")
	fs.Var(funcFlag(func(s string) error {
		cfg.Modes = parseList(s)
		return nil
	}), "mode", "fan-out `modes`: closed, paced (default closed,paced)")
	fs.StringVar(&cfg.Namespace, "nsp", cfg.Namespace, "Socket.IO `namespace` (/ or /ns)")
	fs.StringVar(&cfg.Room, "room", cfg.Room, "fan-out `room`; empty means socket.broadcast.emit")
	fs.IntVar(&cfg.InFlight, "inflight", cfg.InFlight, "closed fan-out: messages in flight")
	fs.IntVar(&cfg.Rounds, "rounds", 1, "run the scenario list this many times (each scenario against every target in turn)")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "paced fan-out: deliveries per second")
	fs.IntVar(&cfg.Payload, "payload", cfg.Payload, "extra padding `bytes` in each fan-out or echo message")
	fs.DurationVar(&cfg.Grace, "grace", cfg.Grace, "fan-out: wait this long for late deliveries before counting losses")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "echo: clients, each in a closed loop")
	fs.IntVar(&cfg.Conns, "conns", cfg.Conns, "connect storm: connections")
	fs.IntVar(&cfg.IdleConns, "idle", cfg.IdleConns, "idle memory: connections")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "connections opened at once")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "length of each measured phase (fan-out mode, echo)")
	fs.IntVar(&cfg.Sources, "sources", cfg.Sources, "loopback source addresses 127.0.0.1..N to spread local ports over")
	fs.IntVar(&cfg.CPU, "cpu", cfg.CPU, "GOMAXPROCS for the generator (0: unchanged); pin cores with taskset")
	fs.BoolVar(&cfg.JSON, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return cfg, cfg.validate()
}

const usage = `Usage: socketlab loadgen -target [name=]ws://127.0.0.1:PORT/socket.io/ [flags]

Drives Engine.IO v4 + Socket.IO v5 WebSocket clients against one or more servers on loopback and
prints a table (or -json). Servers must implement the bench contract (join, leave, fanout, echo,
GET /stats); see node/bench/README.md. Pin the generator with taskset, e.g.
  taskset -c 0 socketlab loadgen -target node=ws://127.0.0.1:3001/socket.io/

Flags:
`
