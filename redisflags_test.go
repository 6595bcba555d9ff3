package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
