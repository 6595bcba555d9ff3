package socketio

import "encoding/json"

// What a server program that keeps its own state (the JavaScript sandbox) needs from a
// namespace in a cluster.

// DataKey is the Socket.Set key under which a program keeps socket.data itself, as a
// json.Marshaler: fetchSockets reports that value as the socket's data to other servers, instead
// of the socket's Go key/value map. Its MarshalJSON is called without any lock of this package
// held, on an adapter's or a fetchSockets caller's goroutine, so it may wait for the program.
const DataKey = "socket.data"

// Clustered reports whether the namespace shares its operations with other servers through an
// adapter (Options.Adapter); false for the in-memory default.
func (ns *Namespace) Clustered() bool { return ns.cluster() != nil }

// programData returns the program's socket.data marshaler, if s has one.
func (s *Socket) programData() (json.Marshaler, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.data[DataKey].(json.Marshaler)
	return m, ok
}
