package main

// The cluster interop test (issue 14, item 3): a real redis-server, Socket Lab processes
// (`socketlab run -redis URL`, in this process) and npm socket.io 4.8 servers with
// @socket.io/redis-adapter (node/cluster/host.js) all run node/cluster/program.js; the npm
// socket.io-client driver (node/cluster/drive.js) asks each server in turn to issue a broadcast,
// a room emit, except, local, socketsJoin, fetchSockets, serverSideEmit(WithAck),
// timeout().emitWithAck and disconnectSockets, and checks the exact set of receiving clients on
// every server. The same again with the Redis key prefix changed.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"socketlab/web/webtest"

	"github.com/google/go-cmp/cmp"
)

// clusterChecksPerServer is what drive.js checks per issuing server; a run that checked fewer
// proves less than it says.
const clusterChecksPerServer = 12

// Bounds that only turn a hang into a failure.
const (
	redisStartBound  = 10 * time.Second
	clusterDrivBound = 150 * time.Second // drive.js bounds itself at 120 s
)

// requireRedisServer finds redis-server: CI must have it (.ci/run installs Debian's package),
// a developer without it gets a skip.
func requireRedisServer(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs redis-server (Debian package redis-server): %v", err)
		}
		t.Skipf("needs redis-server (apt-get install redis-server): %v", err)
	}
	return bin
}

// startRedis runs a throwaway redis-server on a free loopback port (no persistence) and
// returns its URL, redis://127.0.0.1:PORT.
func startRedis(t *testing.T, bin string) string {
	t.Helper()
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		url, err := tryRedis(t, bin, port)
		if err == nil {
			return url
		}
		if attempt == 2 {
			t.Fatal(err)
		}
		t.Logf("redis-server on port %d: %v; another port", port, err) // the port was taken meanwhile
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tryRedis(t *testing.T, bin string, port int) (string, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--loglevel", "notice")
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", err
	}
	log := new(webtest.SyncBuffer)
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		cancel()
		return "", fmt.Errorf("starting redis-server: %w", err)
	}
	stop := func() {
		cancel()
		cmd.Wait() // killed on purpose
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			log.Write([]byte(sc.Text() + "\n"))
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				ready <- nil
				for sc.Scan() { // until the process ends
				}
				return
			}
		}
		ready <- fmt.Errorf("redis-server exited before it was ready:\n%s", log.String())
	}()
	select {
	case err := <-ready:
		if err != nil {
			stop()
			return "", err
		}
	case <-time.After(redisStartBound):
		stop()
		return "", fmt.Errorf("redis-server not ready after %v", redisStartBound)
	}
	t.Cleanup(stop)
	return "redis://127.0.0.1:" + strconv.Itoa(port), nil
}

// clusterCheck is one line of drive.js: what the issuer's operation should reach and what did.
type clusterCheck struct {
	Check string          `json:"check"`
	Want  json.RawMessage `json:"want"`
	Got   json.RawMessage `json:"got"`
}

// driveCluster runs drive.js against the servers (S1, S2, … in this order).
func driveCluster(t *testing.T, node string, servers []*diffServer) {
	t.Helper()
	args := []string{filepath.Join("cluster", "drive.js")}
	for _, s := range servers {
		args = append(args, s.url)
	}
	runChecks(t, node, clusterChecksPerServer*len(servers), args...)
}

// runChecks runs a node/cluster checker (ARGS: script and its arguments, in node/) and fails the
// test for every check whose want and got differ, when it stopped early, or when it ran another
// number of checks than want.
func runChecks(t *testing.T, node string, want int, args ...string) {
	t.Helper()
	out, stderr, runErr := runChecker(t, node, args...)
	checks := 0
	var end checkerEnd
	for line := range strings.Lines(out) {
		c, isCheck := parseCheckLine(t, line, &end)
		if !isCheck {
			continue
		}
		checks++
		var want, got any
		if err := json.Unmarshal(c.Want, &want); err != nil {
			t.Fatalf("%s: want %s: %v", c.Check, c.Want, err)
		}
		if err := json.Unmarshal(c.Got, &got); err != nil {
			t.Fatalf("%s: got %s: %v", c.Check, c.Got, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: wrong recipients (-want +got):\n%s", c.Check, diff)
		}
	}
	if end.Error != "" {
		t.Errorf("%s stopped: %s", args[0], end.Error)
	}
	if checks != want || end.Checks == nil || *end.Checks != want {
		t.Errorf("%s ran %d checks, the scenario has %d", args[0], checks, want)
	}
	if runErr != nil && !t.Failed() {
		t.Errorf("%s: %v", args[0], runErr)
	}
	if t.Failed() && stderr != "" {
		t.Logf("%s stderr:\n%s", args[0], stderr)
	}
}

// checkerEnd is a checker's last line.
type checkerEnd struct {
	Checks *int            `json:"checks"`
	Failed int             `json:"failed"`
	Error  string          `json:"error"`
	Detail json.RawMessage `json:"clients"`
}

func runChecker(t *testing.T, node string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterDrivBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = "node"
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// parseCheckLine reads one stdout line of a checker: a check, or (isCheck false) its end.
func parseCheckLine(t *testing.T, line string, end *checkerEnd) (c clusterCheck, isCheck bool) {
	t.Helper()
	if err := json.Unmarshal([]byte(line), &c); err != nil {
		t.Fatalf("checker printed %q: %v", line, err)
	}
	if c.Check != "" {
		return c, true
	}
	if err := json.Unmarshal([]byte(line), end); err != nil {
		t.Fatalf("checker printed %q: %v", line, err)
	}
	return c, false
}

// TestCluster: Node-only (the scenario holds on the reference implementation), then two Socket
// Lab processes and one Node server, each with the default key prefix and a changed one.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server, node and socketlab processes")
	}
	node := requireNode(t)
	if _, err := os.Stat(filepath.Join("node", "node_modules", "@socket.io", "redis-adapter")); err != nil {
		t.Fatalf("node/node_modules lacks @socket.io/redis-adapter (cd node && npm ci): %v", err)
	}
	redisBin := requireRedisServer(t)
	program, err := filepath.Abs(filepath.Join("node", "cluster", "program.js"))
	if err != nil {
		t.Fatal(err)
	}
	nodeServer := func(t *testing.T, url, key string) *diffServer {
		return startNodeScript(t, node, filepath.Join("cluster", "host.js"), "0", url, key)
	}
	socketLab := func(t *testing.T, url, key string) *diffServer {
		flags := []string{"-redis", url}
		if key != "socket.io" {
			flags = append(flags, "-redis-prefix", key)
		}
		return startSocketLab(t, program, flags...)
	}
	for _, key := range []string{"socket.io", "lab-" + strconv.Itoa(os.Getpid())} {
		t.Run("node×3/key="+key, func(t *testing.T) {
			url := startRedis(t, redisBin)
			driveCluster(t, node, []*diffServer{nodeServer(t, url, key), nodeServer(t, url, key), nodeServer(t, url, key)})
		})
		t.Run("socketlab×2+node/key="+key, func(t *testing.T) {
			url := startRedis(t, redisBin)
			driveCluster(t, node, []*diffServer{socketLab(t, url, key), nodeServer(t, url, key), socketLab(t, url, key)})
		})
	}
}

// stickyChecks is what node/cluster/sticky-check.js checks (with two backends).
const stickyChecks = 8

// TestDeployStickyProxy is docs/deploy.md's recipe: two processes sharing Redis, with the Engine.IO
// cookie on, behind node/cluster/sticky-proxy.js; npm socket.io-clients through the proxy on
// long-polling (with and without cookies), polling then WebSocket, and WebSocket land on both
// processes, keep their sessions, and get broadcasts from either. The same proxy without
// stickiness breaks long-polling: the reason the recipe exists.
func TestDeployStickyProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server, node and socketlab processes")
	}
	node := requireNode(t)
	redisBin := requireRedisServer(t)
	program, err := filepath.Abs(filepath.Join("node", "cluster", "program.js"))
	if err != nil {
		t.Fatal(err)
	}
	backends := map[string]func(t *testing.T, url string) *diffServer{
		"node": func(t *testing.T, url string) *diffServer {
			t.Setenv("COOKIE", "io") // host.js: socket.io's cookie option
			return startNodeScript(t, node, filepath.Join("cluster", "host.js"), "0", url)
		},
		"socketlab": func(t *testing.T, url string) *diffServer {
			return startSocketLab(t, program, "-redis", url, "-cookie", "io")
		},
	}
	for _, kind := range []string{"node", "socketlab"} {
		t.Run(kind, func(t *testing.T) {
			url := startRedis(t, redisBin)
			a, b := backends[kind](t, url), backends[kind](t, url)
			proxy := func(t *testing.T, sticky string) *diffServer {
				t.Setenv("STICKY", sticky)
				return startNodeScript(t, node, filepath.Join("cluster", "sticky-proxy.js"), "127.0.0.1:0", a.url, b.url)
			}
			t.Run("sticky", func(t *testing.T) {
				runChecks(t, node, stickyChecks, filepath.Join("cluster", "sticky-check.js"), proxy(t, "1").url, a.url, b.url)
			})
			t.Run("round robin breaks long-polling", func(t *testing.T) {
				out, _, err := runChecker(t, node, filepath.Join("cluster", "sticky-check.js"), proxy(t, "0").url, a.url, b.url)
				var end checkerEnd
				for line := range strings.Lines(out) {
					parseCheckLine(t, line, &end)
				}
				if err == nil || !strings.Contains(end.Error, "every client connected through the proxy") {
					t.Errorf("without stickiness: exit %v, last line %+v; want the long-polling clients never connected", err, end)
				}
			})
		})
	}
}

// TestRedisFlags: -redis on serve, run and bench-server is listed in -h, and a Redis server
// that does not answer stops the command with an error naming it, before it listens.
func TestRedisFlags(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "redis://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	prog := filepath.Join(t.TempDir(), "server.js")
	if err := os.WriteFile(prog, []byte(`io.on("connection", () => {});`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"serve", "-addr", "127.0.0.1:0", "-redis", dead},
		{"run", "-addr", "127.0.0.1:0", "-redis", dead, prog},
		{"bench-server", "-addr", "127.0.0.1:0", "-redis", dead},
	} {
		t.Run(args[0], func(t *testing.T) {
			_, help, _ := runCmd(t, args[0], "-h")
			for _, flag := range []string{"-redis URL", "-redis-prefix key", "SOCKETLAB_REDIS"} {
				if !strings.Contains(help, flag) {
					t.Errorf("%s -h does not list %s", args[0], flag)
				}
			}
			stdout, _, err := runCmd(t, args...)
			if err == nil || !strings.Contains(err.Error(), "redis at "+strings.TrimPrefix(dead, "redis://")) {
				t.Errorf("got %v, want an error naming the Redis server", err)
			}
			if strings.Contains(stdout, "http://") {
				t.Errorf("it listened anyway: %q", stdout)
			}
		})
	}
}
