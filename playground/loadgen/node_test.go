package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// startNode runs node/bench/server.js on a free loopback port and returns its target URL.
func startNode(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts node")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	script, _ := filepath.Abs("../node/bench/server.js")
	if _, err := os.Stat("../node/node_modules/socket.io"); err != nil {
		t.Skip("node/node_modules/socket.io missing (npm ci in node/)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, "--expose-gc", script, fmt.Sprint(port))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() && strings.HasPrefix(sc.Text(), "listening ") {
			ready <- nil
		} else {
			ready <- fmt.Errorf("node said %q (%v)", sc.Text(), sc.Err())
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("node server not ready after 10 s")
	}
	return fmt.Sprintf("ws://127.0.0.1:%d/socket.io/", port)
}

// TestRunNode drives the real socket.io 4.8.4 bench server, on both namespaces.
func TestRunNode(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after node is gone
	url := startNode(t)
	for _, nsp := range []string{"/", "/ns"} {
		t.Run(nsp, func(t *testing.T) {
			cfg := smallConfig(url)
			cfg.Targets[0].Name = "node"
			cfg.Namespace = nsp
			cfg.Scenarios = []string{Fanout, Echo, Connect}
			cfg.Payload = 16
			rep, err := Run(t.Context(), cfg, io.Discard)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			for _, r := range rep.Results {
				if r.Ops == 0 || r.Lost != 0 || r.Errors != 0 {
					t.Errorf("%s %s: got %d ops, %d lost, %d errors", r.Scenario, r.Mode, r.Ops, r.Lost, r.Errors)
				}
			}
		})
	}
	t.Run("broadcast room", func(t *testing.T) {
		cfg := smallConfig(url)
		cfg.Room = ""
		cfg.Scenarios = []string{Fanout}
		cfg.Modes = []string{Closed}
		rep, err := Run(t.Context(), cfg, io.Discard)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if r := rep.Results[0]; r.Ops != r.Sent*20 || r.Lost != 0 {
			t.Errorf("got sent %d, delivered %d, lost %d, want 20×sent, 0", r.Sent, r.Ops, r.Lost)
		}
	})
	t.Run("idle", func(t *testing.T) {
		cfg := smallConfig(url)
		cfg.Scenarios = []string{Idle}
		cfg.IdleConns = 200
		rep, err := Run(t.Context(), cfg, io.Discard)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if r := rep.Results[0]; r.RSSBefore <= 0 || r.RSSAfter <= 0 || r.Ops != 200 {
			t.Errorf("got rss %d→%d, %d conns", r.RSSBefore, r.RSSAfter, r.Ops)
		}
	})
}
