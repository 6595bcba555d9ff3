package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"socketlab/loadgen"
	"socketlab/playground"
)

// runConformance serves the hub the way the official Engine.IO v4 and Socket.IO v5 test suites
// expect it (protocol.md §4): on :3000, /engine.io/ echoes and /socket.io/ has / and /custom.
func runConformance(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "localhost:3000", "`host:port` to listen on (the suites dial localhost:3000)")
	level := fs.String("log-level", "warn", "log level")
	if err := fs.Parse(args); err != nil {
		return ignoreHelp(err)
	}
	return serveHandler(ctx, *addr, *level, stdout, stderr, "conformance server", func(log *slog.Logger) (handlerCloser, error) {
		return playground.NewConformance(log), nil
	})
}

// runBenchServer serves the hub with the benchmark handlers (loadgen/doc.go).
func runBenchServer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:3002", "`host:port` to listen on")
	level := fs.String("log-level", "warn", "log level")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to `file` (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return ignoreHelp(err)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	return serveHandler(ctx, *addr, *level, stdout, stderr, "bench server", func(log *slog.Logger) (handlerCloser, error) {
		return playground.NewBenchServer(log), nil
	})
}

func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return ignoreHelp(loadgen.Main(ctx, args, stdout, stderr))
}

type handlerCloser interface {
	ServeHTTP(w http.ResponseWriter, r *http.Request)
	Close()
}

func serveHandler(ctx context.Context, addr, level string, stdout, stderr io.Writer, what string, build func(*slog.Logger) (handlerCloser, error)) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	h, err := build(log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		h.Close()
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(stdout, "Socket Lab %s listening on http://%s\n", what, ln.Addr())
	return serveUntilDone(ctx, log, ln, h, h.Close)
}

func ignoreHelp(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
