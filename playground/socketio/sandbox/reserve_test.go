package sandbox

import (
	"strings"
	"testing"
	"testing/synctest"

	"socketlab/playground/socketio"
)

// TestReserve: a program cannot open a reserved namespace (io.of throws with its name, the
// program does not start), and a reserved namespace's own Go middleware and handlers keep
// answering, with no program in between.
func TestReserve(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Options{})
		staff := h.io.Of("/staff")
		staff.OnConnection(func(s *socketio.Socket) { s.Emit("hello", "from Go") })
		h.d.Reserve(func(name string) bool { return name == "/staff" })

		sb := New(h.d, h.options(Options{}))
		err := sb.Run(`io.of("/staff").on("connection", (s) => s.emit("stolen"));`, "server.js")
		sb.Close()
		if err == nil || !strings.Contains(err.Error(), `io.of("/staff"): this namespace is reserved`) {
			t.Fatalf("Run = %v, want the reserved-namespace error", err)
		}

		h.run(`io.of("/open").on("connection", (s) => s.emit("hello", "from JS"));`, Options{})
		p := h.dial("A")
		if got := joinLines(p.connect("/staff", "")); !strings.Contains(got, `42/staff,["hello","from Go"]`) {
			t.Errorf("/staff answered %q", got)
		}
		if got := joinLines(p.connect("/open", "")); !strings.Contains(got, `42/open,["hello","from JS"]`) {
			t.Errorf("/open answered %q", got)
		}
	})
}
