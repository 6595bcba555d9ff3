package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"

	"socketlab/lessons"
	"socketlab/playground"
	"socketlab/playground/loadgen"
	"socketlab/web"
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

// runBenchServer serves the hub with the benchmark handlers (playground/loadgen/doc.go).
func runBenchServer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:3002", "`host:port` to listen on")
	level := fs.String("log-level", "warn", "log level")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to `file` (go tool pprof)")
	cluster := addClusterFlags(fs, getenv)
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
		c, err := cluster.open(ctx, log)
		if err != nil {
			return nil, err
		}
		return benchOnCluster{playground.NewBenchServer(log, c), c, log}, nil
	})
}

func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return ignoreHelp(loadgen.Main(ctx, args, stdout, stderr))
}

// benchOnCluster closes the bench server's hub, then its Redis connection.
type benchOnCluster struct {
	*playground.BenchServer
	cluster *playground.Cluster
	log     *slog.Logger
}

func (b benchOnCluster) Close() {
	b.BenchServer.Close()
	closeCluster(b.cluster, b.log)
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

// ---- socketlab check ----

// runCheck validates every lesson of a folder without serving it: the folder given, else ./lessons
// when it exists (where `socketlab new` writes, and where a course repository keeps its lessons),
// else the embedded course, saying so.
func runCheck(args []string, stdout, stderr io.Writer) error {
	fset := flagSet("check", stderr)
	asJSON := fset.Bool("json", false, "print the problems as a JSON array of {file, line, col, severity, message}")
	fset.Usage = func() {
		fmt.Fprint(stderr, "Usage: socketlab check [-json] [DIR]\n\nCheck every lesson of DIR (default: ./lessons when it exists, else the embedded course)\nand print each problem as file:line:col: message. Exits non-zero when there is an error.\n\n")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() > 1 {
		return fmt.Errorf("check: want at most one folder, got %q", fset.Args())
	}
	var fsys fs.FS = lessons.Content
	prefix, name := "lessons", "the embedded course"
	dir := fset.Arg(0)
	if dir == "" {
		if st, err := os.Stat("lessons"); err == nil && st.IsDir() {
			dir = "lessons"
		} else {
			fmt.Fprintln(stderr, "check: no ./lessons folder here, so checking the embedded course (socketlab check DIR checks a folder)")
		}
	}
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("check: %s is not a folder", dir)
		}
		fsys, prefix = os.DirFS(dir), filepath.ToSlash(filepath.Clean(dir))
		name = prefix
	}
	ds := lessons.Check(fsys, web.LessonOptions(prefix, true))
	if *asJSON {
		if ds == nil {
			ds = []lessons.Diagnostic{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ds); err != nil {
			return fmt.Errorf("check: %w", err)
		}
	} else {
		for _, d := range ds {
			fmt.Fprintln(stdout, d)
		}
	}
	if n := lessons.Errors(ds); n > 0 {
		return fmt.Errorf("check: %d error(s) in %s", n, name)
	}
	if !*asJSON {
		fmt.Fprintf(stderr, "check: %s: no errors\n", name)
	}
	return nil
}

// ---- socketlab new ----

// runNew writes the next numbered lesson of a folder with front matter, a demo and a quiz that
// pass check, and prints its path.
func runNew(args []string, stdout, stderr io.Writer) error {
	fset := flagSet("new", stderr)
	dir := fset.String("dir", "lessons", "the lessons `folder` (or a chapter folder) to add the lesson to; created when missing")
	demo := fset.String("demo", "", "start from the course's example of this demo `kind` ("+strings.Join(playground.DemoNames, ", ")+"; default: a chat demo)")
	chapter := fset.String("chapter", "", "put the lesson in the chapter with this `title` inside -dir (a folder with a chapter.yaml), created when missing")
	fset.Usage = func() {
		fmt.Fprint(stderr, "Usage: socketlab new [-dir DIR] [-demo KIND] [-chapter TITLE] \"Lesson title\"\n\nWrite DIR/NN-slug.md (or DIR/NN-chapter/NN-slug.md), the next numbered lesson, a draft ready\nfor check; print its path.\n\n")
		fset.PrintDefaults()
	}
	// Flags may come after the title too: socketlab new "Title" -dir x.
	var title []string
	rest := args
	for {
		if err := fset.Parse(rest); err != nil {
			return err
		}
		if fset.NArg() == 0 {
			break
		}
		title = append(title, fset.Arg(0))
		rest = fset.Args()[1:]
	}
	if len(title) != 1 || strings.TrimSpace(title[0]) == "" {
		fset.Usage()
		return errors.New("new: want one lesson title, quoted")
	}
	res, err := web.NewLesson(web.NewLessonOptions{Dir: *dir, Title: strings.TrimSpace(title[0]), Demo: *demo, Chapter: strings.TrimSpace(*chapter)})
	if err != nil {
		return fmt.Errorf("new: %w", err)
	}
	fmt.Fprintln(stdout, res.Path)
	if res.Created {
		fmt.Fprintf(stderr, "New chapter %s: its chapter.yaml has the title; write its summary there.\n", res.Chapter)
	}
	// The scaffold is a draft: a plain serve -watch would answer its page with 404. A chapter's
	// lessons are served from the course folder (its chapter.yaml is read from there).
	fmt.Fprintf(stderr, "It is a draft until you remove draft: true. Preview it with:\n  socketlab serve -lessons %s -watch -drafts\n", res.Root)
	return nil
}

// ---- socketlab export ----

// runExport writes the course as a static site.
func runExport(args []string, stdout, stderr io.Writer) error {
	fset := flagSet("export", stderr)
	dir := fset.String("lessons", "", "export the lessons of this `dir` instead of the embedded course")
	drafts := fset.Bool("drafts", false, "include draft lessons")
	fset.Usage = func() {
		fmt.Fprint(stderr, "Usage: socketlab export [-lessons DIR] [-drafts] OUT\n\nWrite the course as a static site in OUT (new or empty): open OUT/index.html from disk or put\nOUT on any static host. Prose, code, quizzes and progress work there; each demo shows what it\ndoes and that socketlab serve makes it live.\n\n")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() != 1 {
		fset.Usage()
		return errors.New("export: want one output folder")
	}
	n, err := web.Export(web.ExportOptions{LessonDir: *dir, Drafts: *drafts, Out: fset.Arg(0)})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "Wrote %d lessons to %s: open %s\n", n, fset.Arg(0), filepath.Join(fset.Arg(0), "index.html"))
	return nil
}

func flagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
