package playground

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
	"socketlab/playground/socketio/sandbox"
)

// sandboxProgram is the server of node/client/sandbox.test.js, written as a student would.
const sandboxProgram = `
io.use((socket, next) => {
  if (socket.handshake.auth.token !== "t") {
    const err = new Error("bad token");
    err.data = { hint: "send a token" };
    return next(err);
  }
  next();
});
io.on("connection", (socket) => {
  socket.on("echo", (...args) => args.pop()(...args));
  socket.on("chat", (msg) => socket.broadcast.emit("chat", msg, socket.id));
  socket.on("join", (room, cb) => { socket.join(room); cb([...socket.rooms]); });
  socket.on("bin", (buf, cb) => cb(new Uint8Array([...buf].reverse())));
  socket.on("ask", async (n, cb) => {
    try {
      cb(await socket.timeout(100).emitWithAck("question", n));
    } catch (e) {
      cb(e.message);
    }
  });
  socket.on("boom", () => { undefined.x; });
});
io.of(/^\/tenant-\d+$/).use((s, next) => next()).on("connection", (socket) => socket.emit("hello", socket.nsp.name));
`

// TestNodeClientSandbox drives a hub running sandboxed JavaScript with the npm socket.io-client.
func TestNodeClientSandbox(t *testing.T) {
	node := requireNode(t)
	hub := NewHub(engineio.Options{PingInterval: time.Second, PingTimeout: 5 * time.Second}, socketio.Options{})
	d := sandbox.NewDispatcher(hub.IO)
	var mu sync.Mutex
	var console []string
	sb := sandbox.New(d, sandbox.Options{Console: func(level, text string) {
		mu.Lock()
		console = append(console, level+": "+text)
		mu.Unlock()
	}})
	if err := sb.Run(sandboxProgram, "server.js"); err != nil {
		t.Fatal(err)
	}
	d.Replace(sb)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: hub, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		d.Replace(nil)
		hub.Close()
		srv.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "client/sandbox.test.js")
	cmd.Dir = "../node"
	cmd.Env = append(os.Environ(), "HUB_URL=http://"+ln.Addr().String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node socket.io-client tests against the sandbox failed: %v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(console, "\n"); !strings.Contains(got, "error: Uncaught server.js:22:39: TypeError") {
		t.Errorf("the handler's exception is not on the console with its line: %q", got)
	}
}
