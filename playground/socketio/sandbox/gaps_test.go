package sandbox

import (
	"slices"
	"testing"
	"testing/synctest"
)

// The socket.io 4.8 behaviours issue 13 found missing in the hub, as a program sees them.
func TestSocketIOGaps(t *testing.T) {
	tests := []struct {
		name, code string
		do         func(t *testing.T, h *harness, a, b *peer)
	}{
		{"timeout(0) times out at once; an empty room resolves", `
io.on("connection", (socket) => {
  socket.on("go", async () => {
    try { await socket.timeout(0).emitWithAck("q"); socket.emit("r", "resolved"); } catch (e) { socket.emit("r", e.message); }
    socket.timeout(0).emit("q", (err) => socket.emit("cb", err && err.message));
    try { await io.timeout(0).emitWithAck("q"); socket.emit("io", "resolved"); } catch (e) { socket.emit("io", e.message, e.responses); }
    socket.emit("empty", await io.to("nobody").timeout(0).emitWithAck("q"));
  });
});`, func(t *testing.T, h *harness, a, b *peer) {
			a.send(`42["go"]`)
			synctest.Wait()
			got := a.take()
			for _, want := range []string{`42["r","operation has timed out"]`, `42["cb","operation has timed out"]`, `42["io","operation has timed out",[]]`, `42["empty",[]]`} {
				if !slices.Contains(got, want) {
					t.Errorf("got %q, want it to hold %q", got, want)
				}
			}
		}},
		{"a numeric event name reaches onAny as a number, and socket.on of its text", `
io.on("connection", (socket) => {
  socket.onAny((ev, ...args) => socket.emit("any", typeof ev, ev, args));
  socket.on("42", (x) => socket.emit("on42", x));
  socket.on("1000", () => socket.emit("on1000"));
});`, func(t *testing.T, h *harness, a, b *peer) {
			a.send(`42[42,"x"]`)
			a.send(`42[1e3]`)
			synctest.Wait()
			expect(t, a, `42["any","number",42,["x"]]`, `42["on42","x"]`, `42["any","number",1000,[]]`, `42["on1000"]`)
		}},
		{"the connection handler runs before any other event, and before the client sees CONNECT", `
const seen = [];
io.on("connection", (socket) => {
  seen.push(socket.handshake.auth.name);
  socket.emit("hello");
  socket.on("count", () => socket.emit("count", seen));
});`, func(t *testing.T, h *harness, a, b *peer) {
			c := h.dial("C")
			c.send(`40{"name":"C"}`) // admitted on the loop; its handler runs right after
			a.send(`42["count"]`)    // queued behind the admission: sees C
			synctest.Wait()
			expect(t, a, `42["count",["A","B","C"]]`)
			expect(t, c, `40{"sid":"…"}`, `42["hello"]`)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Options{})
				h.run(tc.code, Options{})
				a, b := h.dial("A"), h.dial("B")
				a.connect("/", `{"name":"A"}`)
				b.connect("/", `{"name":"B"}`)
				tc.do(t, h, a, b)
			})
		})
	}
}

func TestOfUnderRegExpParent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Options{})
		h.run(`
const dyn = io.of(/^\/dyn-\d+$/);
dyn.use((socket, next) => next(socket.handshake.auth.token === "secret" ? undefined : new Error("parent says no")));
dyn.on("connection", (socket) => socket.emit("parent"));
const made = io.of("/dyn-1");
made.on("connection", (socket) => socket.emit("own", socket.nsp === made));
io.of((name, auth, next) => next(null, name === "/f-1")).use((socket, next) => next(new Error("function parent")));
io.of("/f-1").on("connection", (socket) => socket.emit("plain"));
`, Options{})
		tests := []struct {
			nsp, auth string
			want      []string
		}{
			{"/dyn-1", `{"token":"guess"}`, []string{`44/dyn-1,{"message":"parent says no"}`}},
			{"/dyn-1", `{"token":"secret"}`, []string{`40/dyn-1,{"sid":"…"}`, `42/dyn-1,["parent"]`, `42/dyn-1,["own",true]`}},
			{"/f-1", ``, []string{`40/f-1,{"sid":"…"}`, `42/f-1,["plain"]`}},
		}
		for _, tt := range tests {
			if got := h.dial("A").connect(tt.nsp, tt.auth); !slices.Equal(got, tt.want) {
				t.Errorf("%s %s: got %q, want %q", tt.nsp, tt.auth, got, tt.want)
			}
		}
	})
}
