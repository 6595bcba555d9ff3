package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"socketlab/playground/socketio"
	"socketlab/playground/socketio/sandbox"
)

// running is one server of an instance: a hub with its tap watched, and, when a student's
// JavaScript runs on it, the sandbox dispatcher. A kind with several servers (Kind.Servers, the
// cluster demo) runs them together: the first one, with the others as its peers.
type running struct {
	hub       *Hub
	disp      *sandbox.Dispatcher // nil: the kind's own Go handlers
	cancelTap func()
	tapDone   chan struct{}
	server    string     // its name among Kind.Servers ("" for a one-server kind)
	peers     []*running // the other servers, on the first one only
	adapters  *serverAdapters
}

// serverAdapters are the adapters a kind gives its servers (Kind.Adapters): a factory per server
// name, what waits until they reach each other, and what closes them after the hubs.
type serverAdapters struct {
	factory map[string]socketio.AdapterFactory
	ready   func(context.Context) error
	close   func()
	once    sync.Once
	closed  atomic.Bool
}

// shut closes the adapters, once (nil-safe): the servers stop reaching each other.
func (a *serverAdapters) shut() {
	if a != nil && a.close != nil {
		a.once.Do(func() {
			a.close()
			a.closed.Store(true)
		})
	}
}

// replaceServers makes next the instance's servers and stops the old ones in the background.
// The old servers leave the broker first, before any client reaches the new ones: a server that
// is closing would otherwise still be counted (PUBSUB NUMSUB) by a new one's fetchSockets, which
// would wait for its answer until the request timeout.
func (in *Instance) replaceServers(next *running, after func()) {
	old := in.cur.Load()
	old.adapters.shut()
	in.cur.Store(next)
	in.retiring.Add(1)
	go func() {
		defer in.retiring.Done()
		old.stop()
		if after != nil {
			after()
		}
	}()
}

// start watches hub's observations for the tap.
func (in *Instance) start(hub *Hub, disp *sandbox.Dispatcher, server string) *running {
	taps, cancel := hub.IO.Observe(tapBuffer)
	r := &running{hub: hub, disp: disp, cancelTap: cancel, tapDone: make(chan struct{}), server: server}
	go in.watch(taps, r.tapDone, server)
	return r
}

// all is the server and its peers.
func (r *running) all() []*running { return append([]*running{r}, r.peers...) }

// stop closes the servers: every client is disconnected (they reconnect, as after a restart) and
// the program, if any, stops; then their adapters close.
func (r *running) stop() {
	var wg sync.WaitGroup
	for _, s := range r.all() {
		wg.Go(func() {
			if s.disp != nil {
				s.disp.Replace(nil)
			}
			s.hub.Close()
			s.cancelTap()
			<-s.tapDone
		})
	}
	wg.Wait()
	r.adapters.shut()
}

// hub is the hub serving now (the first server of a kind with several).
func (in *Instance) hub() *Hub { return in.cur.Load().hub }

// hubFor is the hub of the server named server (Kind.Servers), or the first one's when no server
// has that name: how a request's ?server= picks its server, as a load balancer would.
func (in *Instance) hubFor(server string) *Hub {
	cur := in.cur.Load()
	for _, r := range cur.all() {
		if r.server == server {
			return r.hub
		}
	}
	return cur.hub
}

// newServers starts the instance's servers with the instance's options: one hub, or one per name
// of Kind.Servers, each with its adapter from adapters (in memory when nil), each running code
// when it is not "" (the caller installs the kind's Go handlers otherwise). A program that does
// not compile or throws closes them all and is returned as the error.
func (in *Instance) newServers(code string, adapters *serverAdapters) (*running, error) {
	names := []string{""}
	if in.kind != nil && len(in.kind.Servers) > 0 {
		names = in.kind.Servers
	}
	all := make([]*running, 0, len(names))
	for _, name := range names {
		eopts, sopts := in.eopts, in.sopts
		if name != "" {
			log := in.log.With("server", name)
			eopts.Logger, sopts.Logger = log, log
		}
		if adapters != nil && adapters.factory[name] != nil {
			sopts.Adapter = adapters.factory[name]
		}
		hub := NewHub(eopts, sopts)
		var disp *sandbox.Dispatcher
		if code != "" {
			disp = sandbox.NewDispatcher(hub.IO)
			// Names first, on every namespace (the program's io.of ones and dynamic children too),
			// as the kinds' middleware does: the tap and the rooms diagram show who is who.
			disp.OnSocket(in.admit)
			sb, err := in.compile(disp, code, name)
			if err != nil {
				hub.Close()
				if len(all) > 0 {
					all[0].peers = all[1:]
					all[0].adapters = adapters
					all[0].stop()
				} else {
					adapters.shut()
				}
				return nil, err
			}
			disp.Replace(sb)
		}
		all = append(all, in.start(hub, disp, name))
	}
	all[0].peers, all[0].adapters = all[1:], adapters
	if adapters != nil && adapters.ready != nil {
		// Every server subscribed on the broker before a client connects: what one emits from
		// now on reaches the others.
		ctx, cancel := context.WithTimeout(context.Background(), adapterReadyTimeout)
		defer cancel()
		if err := adapters.ready(ctx); err != nil {
			all[0].stop()
			return nil, fmt.Errorf("the servers did not reach the broker: %w", err)
		}
	}
	return all[0], nil
}

// adapterReadyTimeout bounds how long new servers wait for the broker to confirm their
// subscriptions.
const adapterReadyTimeout = 5 * time.Second

// kindAdapters are the adapters the instance's kind gives its next servers (Kind.Adapters), or
// nil for the in-memory default.
func (in *Instance) kindAdapters() (*serverAdapters, error) {
	if in.kind == nil || in.kind.Adapters == nil {
		return nil, nil
	}
	return in.kind.Adapters(in)
}

// ErrInstanceClosed is returned by RunCode on an instance that was closed.
var ErrInstanceClosed = errors.New("this demo's server has been closed; reload the page")

// CodeFile is the name student code runs under (unless Spec.File names another): errors read
// "server.js:3:7: ...".
const CodeFile = "server.js"

// RunCode replaces the instance's server with code, a socket.io 4.x server program in
// JavaScript with a global io (the sandbox package), like a restart: a fresh hub with the same
// options starts running it, and the old one closes, so the clients reconnect to the new program.
// A program that does not compile (a *sandbox.SyntaxError with its line and column) or throws at
// its top level (a *sandbox.RuntimeError) changes nothing: the previous server keeps running.
// console.log and the program's errors go to the instance's console (the tap), not the server log.
func (in *Instance) RunCode(code string) error {
	in.runMu.Lock()
	defer in.runMu.Unlock()
	if in.Closed() {
		return ErrInstanceClosed
	}
	adapters, err := in.kindAdapters()
	if err != nil {
		return err
	}
	next, err := in.newServers(code, adapters)
	if err != nil {
		return err
	}
	in.replaceServers(next, nil)
	in.mu.Lock()
	in.code = code
	in.mu.Unlock()
	if servers := in.cur.Load().peers; len(servers) > 0 {
		in.console("info", fmt.Sprintf("Servers %v restarted with your code (%d lines), each running it; the clients reconnect.", in.kind.Servers, lines(code)))
	} else {
		in.console("info", fmt.Sprintf("The server restarted with your code (%d lines); the clients reconnect.", lines(code)))
	}
	return nil
}

// compile runs code's top level in a new sandbox on disp, its console on the instance's tap
// (labelled with server, its name among Kind.Servers, when not ""). The caller makes it current
// (disp.Replace); a program that does not compile or throws is closed.
func (in *Instance) compile(disp *sandbox.Dispatcher, code, server string) (*sandbox.Sandbox, error) {
	console := in.console
	if server != "" {
		console = func(level, text string) { in.console(level, "["+server+"] "+text) }
	}
	if in.onConsole != nil { // socketlab run: the program's console goes to the terminal too
		tap := console
		console = func(level, text string) {
			tap(level, text)
			in.onConsole(level, text)
		}
	}
	sb := sandbox.New(disp, sandbox.Options{
		Console: console,
		Logger:  in.log,
		OnStop: func(err error) {
			console("error", "Your server was stopped: "+err.Error()+". Fix the code and run it again.")
		},
	})
	if err := sb.Run(code, in.file); err != nil {
		sb.Close()
		return nil, err
	}
	return sb, nil
}

// lines counts the lines of code, as an editor numbers them.
func lines(code string) int { return strings.Count(code, "\n") + 1 }

// console publishes one line of the program's console (console.log, its uncaught errors) to the
// tap, in the shape of the hub's own log records (docs/play-api.md), without the server log: a
// student's console.log in a loop must not flood it.
func (in *Instance) console(level, text string) {
	lvl := "INFO"
	switch level {
	case "warn":
		lvl = "WARN"
	case "error":
		lvl = "ERROR"
	case "debug":
		lvl = "DEBUG"
	}
	msg, err := json.Marshal(map[string]any{
		"type": "log", "time": time.Now().UTC().Format(time.RFC3339Nano), "level": lvl, "msg": text,
		"attrs": map[string]string{"source": "console"},
	})
	if err == nil {
		in.publish(msg)
	}
}

// publicInstance is the instance {id} of a request to one of its controls (code, adapter, fault), or
// nil after answering 404 for an unknown or private one.
func (r *Registry) publicInstance(w http.ResponseWriter, req *http.Request) *Instance {
	in := r.lookup(req.PathValue("id"))
	if in == nil || in.private {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "demo instance unknown or expired"})
		return nil
	}
	return in
}

// maxCodeBody is the largest POST /play/{id}/code body: the sandbox's code cap plus JSON quoting.
const maxCodeBody = 256 << 10

// HandleCode runs the JSON body's {"code": "..."} on instance {id} (RunCode): 200 {"ok": true,
// "path"} once the new server accepts connections; 400 {"error", "line", "col"} for code that
// does not compile or throws at its top level (the old server keeps running); 413 for code over
// the size limit; 404 for an unknown or private instance (a class runs code through its own
// instructor channel).
func (r *Registry) HandleCode() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		in := r.publicInstance(w, req)
		if in == nil {
			return
		}
		var body struct {
			Code string `json:"code"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, maxCodeBody))
		if err := dec.Decode(&body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("the code is larger than %d KiB", maxCodeBody>>10)})
				return
			}
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `the body must be JSON: {"code": "..."}`})
			return
		}
		if !in.runs.Allow() {
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "too many runs in a row; wait a second"})
			return
		}
		in.touch()
		if err := in.RunCode(body.Code); err != nil {
			status, out := CodeErrorJSON(err)
			writeJSON(w, status, out)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "path": "/play/" + in.id + "/socket.io/"})
	})
}

// CodeErrorJSON is the HTTP status and JSON body for an error of RunCode: the message as the
// editor shows it, with the 1-based line and column when the error has them.
func CodeErrorJSON(err error) (int, map[string]any) {
	var se *sandbox.SyntaxError
	var re *sandbox.RuntimeError
	switch {
	case errors.As(err, &se):
		return http.StatusBadRequest, map[string]any{"error": se.Error(), "line": se.Line, "col": se.Col}
	case errors.As(err, &re):
		return http.StatusBadRequest, map[string]any{"error": re.Error(), "line": re.Line, "col": re.Col}
	case errors.Is(err, sandbox.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, map[string]any{"error": err.Error()}
	case errors.Is(err, ErrInstanceClosed):
		return http.StatusGone, map[string]any{"error": err.Error()}
	}
	return http.StatusInternalServerError, map[string]any{"error": err.Error()}
}
