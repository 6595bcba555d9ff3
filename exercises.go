package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"socketlab/web"
)

// exerciseJSON is one exercise as `socketlab exercises` prints it: where it is,
// and the config the page's exercise panel reads (data-exercise).
type exerciseJSON struct {
	File   string          `json:"file"`
	Line   int             `json:"line"`
	Slug   string          `json:"slug"`
	Title  string          `json:"title"`
	Config json.RawMessage `json:"config"`
}

// runExercises prints every exercise of the course (or of DIR) as JSON: the
// grader's test runs each one's starter and solution against real servers.
func runExercises(args []string, stdout, stderr io.Writer) error {
	fset := flagSet("exercises", stderr)
	fset.Usage = func() {
		fmt.Fprint(stderr, "Usage: socketlab exercises [DIR]\n\nPrint every ```exercise block of the lessons in DIR (default: the embedded course),\ndrafts included, as a JSON array of {file, line, slug, title, config}. A lesson with\nan error fails the command: run socketlab check for the details.\n")
	}
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() > 1 {
		return fmt.Errorf("exercises: want at most one folder, got %q", fset.Args())
	}
	dir := fset.Arg(0)
	idx, err := web.LoadLessons(dir, true)
	if err != nil {
		return fmt.Errorf("exercises: %w", err)
	}
	prefix := "lessons"
	if dir != "" {
		prefix = filepath.ToSlash(filepath.Clean(dir))
	}
	out := []exerciseJSON{}
	for _, l := range idx.Lessons() {
		for _, x := range l.Exercises {
			cfg, err := x.Config()
			if err != nil {
				return fmt.Errorf("exercises: %s:%d: %w", l.File, x.Line, err)
			}
			out = append(out, exerciseJSON{File: prefix + "/" + l.File, Line: x.Line, Slug: l.Slug, Title: x.Title, Config: cfg})
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("exercises: %w", err)
	}
	return nil
}
