package playground

import (
	"log/slog"
	"net/http"

	"socketlab/playground/socketio"
)

// The exported instance API: what a package built on instances (the classroom) uses instead of
// reaching into an Instance. Registry.Open is the one create path, newInstance the one constructor.

// Spec says what Registry.Open builds.
type Spec struct {
	// Demo names the instance's kind, in logs ("class" for a classroom).
	Demo string
	// Config is a demo kind's configuration; nil for none.
	Config *DemoConfig
	// Setup installs the hub's handlers (on in.IO()) before any client can reach the instance.
	Setup func(in *Instance)
	// Socket adjusts this instance's copy of the registry's Socket.IO options (its Logger is set).
	Socket func(*socketio.Options)
	// Private instances are not served at /play/{id}/socket.io/ (they get the unknown-instance
	// 404): their owner serves the hub with ServeHTTP behind its own admission, so the hub has one
	// entrance. Their tap (TapPath) is still served: it is a capability URL.
	Private bool
	// Keep instances are never swept when idle: their owner closes them (socketlab run's one hub
	// waits for its first client as long as the process runs).
	Keep bool
	// File is the name a program run with RunCode is compiled under, in its errors and stack
	// traces ("FILE:3:7: ..."); CodeFile when empty.
	File string
	// Console, when set, also receives every console line of a program run with RunCode
	// (console.log at "log"; the sandbox's own messages at "warn" or "error"), besides the tap.
	// It may be called from any goroutine.
	Console func(level, text string)
	// Shared puts the hub on the registry's Cluster (when there is one) under the Redis prefix
	// followed by ClusterKey, so servers sharing that key share its broadcasts and rooms.
	Shared     bool
	ClusterKey string
}

// Logger is the registry's logger.
func (r *Registry) Logger() *slog.Logger { return r.log }

// ID is the instance's unguessable id (its /play/{id}/ paths).
func (in *Instance) ID() string { return in.id }

// IO is the instance's Socket.IO server.
func (in *Instance) IO() *socketio.Server { return in.hub().IO }

// Describe is what a page needs to attach a widget to the instance: the create response of
// POST /play/{demo} (docs/play-api.md).
func (in *Instance) Describe() map[string]any { return in.describe() }

// TapPath is the instance's SSE tap (docs/play-api.md).
func (in *Instance) TapPath() string { return "/play/" + in.id + "/tap" }

// Log is the instance's logger: records at Info and above also go to its console (the tap).
func (in *Instance) Log() *slog.Logger { return in.log }

// SetName names a socket in the tap and its state (a name is forgotten after the socket's
// disconnect has been published).
func (in *Instance) SetName(socketID, name string) {
	in.mu.Lock()
	in.names[socketID] = name
	in.mu.Unlock()
}

// HasSession reports whether the hub has the Engine.IO session sid open.
func (in *Instance) HasSession(sid string) bool { return in.hub().Engine.HasSession(sid) }

// ServeHTTP serves the hub's Engine.IO endpoint and counts as use (the idle sweep).
func (in *Instance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	in.touch()
	in.hub().ServeHTTP(w, r)
}

// Closed reports whether the instance was closed (ended, swept or its registry closed).
func (in *Instance) Closed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.closed
}

// Close takes the instance out of its registry and closes its hub: every client is disconnected.
func (in *Instance) Close() {
	if r := in.reg; r != nil {
		r.mu.Lock()
		if r.instances[in.id] == in {
			delete(r.instances, in.id)
		}
		r.mu.Unlock()
	}
	in.close()
}
