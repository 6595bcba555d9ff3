package playground

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Faults break a demo instance on purpose, below the program that runs on it (the kind's Go
// handlers or a student's JavaScript alike), so that a lesson can show what a client does when
// the server goes away or falls silent. Only kinds with Kind.Faults accept them.
//
//	POST /play/{id}/fault {"outage": MS}  the server goes down for MS ms (at most maxOutage):
//	                                      every connection drops ("transport close" on the
//	                                      client) and every request to its socket.io path gets
//	                                      503 until then, so reconnection attempts fail
//	POST /play/{id}/fault {"silence": SID} the server stops pinging Engine.IO session SID: the
//	                                      client's own timer ends it with "ping timeout"
const maxOutage = 30 * time.Second

// outageBody is the 503 a socket request gets during an outage, in the Engine.IO error shape.
var outageBody = map[string]any{"code": 3, "message": "the demo's server is down (an outage you asked for)"}

// HandleFault serves POST /play/{id}/fault.
func (r *Registry) HandleFault() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		in := r.publicInstance(w, req)
		if in == nil {
			return
		}
		if in.kind == nil || !in.kind.Faults {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "this demo has no faults to inject"})
			return
		}
		var body struct {
			Outage  *int   `json:"outage"`
			Silence string `json:"silence"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, 1024))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil || (body.Outage == nil) == (body.Silence == "") {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `the body must be {"outage": MS} or {"silence": SID}`})
			return
		}
		if !in.runs.Allow() {
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "too many server actions in a row; wait a second"})
			return
		}
		in.touch()
		if body.Outage != nil {
			d := time.Duration(*body.Outage) * time.Millisecond
			if d <= 0 || d > maxOutage {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "an outage lasts 1 to 30000 ms"})
				return
			}
			n := in.outage(d)
			writeJSON(w, http.StatusOK, map[string]any{"ok": true, "dropped": n})
			return
		}
		if err := in.silence(body.Silence); err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	})
}

// outage drops every connection of the instance (no Socket.IO DISCONNECT: the client sees
// "transport close") and refuses its socket requests for d. It reports how many connections it
// dropped.
func (in *Instance) outage(d time.Duration) int {
	in.downUntil.Store(in.now().Add(d).UnixNano())
	in.log.Warn("server down (outage)", "for", d.String())
	return in.hub().Engine.DropAll()
}

// down reports whether the instance is in an outage.
func (in *Instance) down() bool {
	until := in.downUntil.Load()
	return until != 0 && in.now().UnixNano() < until
}

// silence stops the heartbeat of one Engine.IO session of the instance.
func (in *Instance) silence(sid string) error {
	if !in.hub().Engine.StopHeartbeat(sid) {
		return errors.New("no such connection on this demo")
	}
	in.log.Warn("heartbeat stopped: the server no longer pings this connection")
	return nil
}
