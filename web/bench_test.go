package web

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"testing/fstest"

	"socketlab/lessons"
)

// fiftyLessons builds a course of 50 lessons from the real ones, for the start-up benchmark.
func fiftyLessons(b *testing.B) fs.FS {
	b.Helper()
	var real [][]byte
	err := fs.WalkDir(lessons.Content, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(lessons.Content, p)
		real = append(real, data)
		return err
	})
	if err != nil || len(real) == 0 {
		b.Fatalf("reading the embedded lessons: %v (%d found)", err, len(real))
	}
	m := fstest.MapFS{}
	for i := range 50 {
		src := real[i%len(real)]
		m[fmt.Sprintf("%02d-lesson-%d.md", i+1, i+1)] = &fstest.MapFile{Data: withoutOrder(src)}
	}
	return m
}

// withoutOrder drops a lesson's slug and order keys, so copies take both from their file names.
var slugOrOrder = regexp.MustCompile(`(?m)^(slug|order):.*\n`)

func withoutOrder(src []byte) []byte { return slugOrOrder.ReplaceAll(src, nil) }

// BenchmarkStartup50Lessons measures parsing and rendering a 50-lesson course, which is what
// start-up does before it listens (target: under 200 ms).
func BenchmarkStartup50Lessons(b *testing.B) {
	fsys := fiftyLessons(b)
	for b.Loop() {
		idx, err := lessons.Load(fsys, LessonOptions("bench", true))
		if err != nil {
			b.Fatal(err)
		}
		if n := len(idx.Lessons()); n != 50 {
			b.Fatalf("%d lessons, want 50", n)
		}
	}
}

// BenchmarkLessonPage measures the lesson handler through the full middleware chain over loopback
// with keep-alive. `make bench` also measures the real binary with wrk from another core.
func BenchmarkLessonPage(b *testing.B) {
	a, err := New(slog.New(slog.DiscardHandler), Config{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	url := srv.URL + "/lessons/" + a.content.Load().idx.Lessons()[0].Slug
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	b.SetParallelism(16) // 32 connections in flight on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
