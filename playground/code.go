package playground

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"socketlab/playground/socketio/sandbox"
)

// running is one server of an instance: a hub with its tap watched, and, when a student's
// JavaScript runs on it, the sandbox dispatcher.
type running struct {
	hub       *Hub
	disp      *sandbox.Dispatcher // nil: the kind's own Go handlers
	cancelTap func()
	tapDone   chan struct{}
}

// start watches hub's observations for the tap.
func (in *Instance) start(hub *Hub, disp *sandbox.Dispatcher) *running {
	taps, cancel := hub.IO.Observe(tapBuffer)
	r := &running{hub: hub, disp: disp, cancelTap: cancel, tapDone: make(chan struct{})}
	go in.watch(taps, r.tapDone)
	return r
}

// stop closes the server: every client is disconnected (they reconnect, as after a restart) and
// the program, if any, stops.
func (r *running) stop() {
	if r.disp != nil {
		r.disp.Replace(nil)
	}
	r.hub.Close()
	r.cancelTap()
	<-r.tapDone
}

// hub is the hub serving now.
func (in *Instance) hub() *Hub { return in.cur.Load().hub }

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
	hub := NewHub(in.eopts, in.sopts)
	disp := sandbox.NewDispatcher(hub.IO)
	// Names first, on every namespace (the program's io.of ones and dynamic children too), as the
	// kinds' middleware does: the tap and the rooms diagram show who is who.
	disp.OnSocket(in.admit)
	sb, err := in.compile(disp, code)
	if err != nil {
		hub.Close()
		return err
	}
	disp.Replace(sb)
	old := in.cur.Swap(in.start(hub, disp))
	in.mu.Lock()
	in.code = code
	in.mu.Unlock()
	in.console("info", fmt.Sprintf("The server restarted with your code (%d lines); the clients reconnect.", lines(code)))
	in.retiring.Add(1)
	go func() {
		defer in.retiring.Done()
		old.stop()
	}()
	return nil
}

// compile runs code's top level in a new sandbox on disp, its console on the instance's tap. The
// caller makes it current (disp.Replace); a program that does not compile or throws is closed.
func (in *Instance) compile(disp *sandbox.Dispatcher, code string) (*sandbox.Sandbox, error) {
	console := in.console
	if in.onConsole != nil { // socketlab run: the program's console goes to the terminal too
		console = func(level, text string) {
			in.console(level, text)
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

// publicInstance is the instance of the request's {id}, or nil after answering 404 (unknown,
// expired, or private: a class acts through its instructor).
func (r *Registry) publicInstance(w http.ResponseWriter, req *http.Request) *Instance {
	in := r.lookup(req.PathValue("id"))
	if in == nil || in.private {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "demo instance unknown or expired"})
		return nil
	}
	return in
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
