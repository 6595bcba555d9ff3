package lessons

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"socketlab/lessons/blocks"
)

// chapterKeys are the keys of a chapter.yaml.
var chapterKeys = []string{"title", "summary", "order", "defaults"}

type chapterFile struct {
	Title    string    `yaml:"title"`
	Summary  string    `yaml:"summary"`
	Order    *int      `yaml:"order"`
	Defaults *defaults `yaml:"defaults"`
}

// chapterInfo is a parsed chapter folder.
type chapterInfo struct {
	Chapter
	defaults *defaults
}

// loadChapter parses dir/chapter.yaml. Errors carry the index file's path
// inside the fs.FS; a nil chapter means its lessons cannot be loaded.
func loadChapter(fsys fs.FS, dir string) (*chapterInfo, []*Error) {
	file := path.Join(dir, ChapterFile)
	fail := func(line, col int, format string, args ...any) (*chapterInfo, []*Error) {
		return nil, []*Error{{File: file, Line: line, Col: col, Err: fmt.Errorf(format, args...)}}
	}
	src, err := readCapped(fsys, file)
	if err != nil {
		return fail(1, 0, "%v", err)
	}
	var node yaml.Node
	if err := yaml.Unmarshal(src, &node); err != nil {
		if n, col, msg, ok := blocks.SyntaxError(src); ok {
			return fail(n, col, "chapter: %s", msg)
		}
		errs := yamlErrors(err, 0)
		for _, e := range errs {
			e.File = file
			e.Err = errors.New(strings.TrimPrefix(e.Err.Error(), "front matter: "))
			e.Err = fmt.Errorf("chapter: %w", e.Err)
		}
		return nil, errs
	}
	if len(node.Content) == 0 || node.Content[0].Kind != yaml.MappingNode {
		return fail(1, 0, "chapter: want key: value lines (title:, summary:, order:, defaults:)")
	}
	root := node.Content[0]
	// Every problem of the file is collected: unknown keys, values of the
	// wrong type, a missing title or order.
	var errs []*Error
	lines := map[string]int{}
	suggested := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !slices.Contains(chapterKeys, k.Value) {
			s, err := unknownKeySuggest("chapter", k.Value, chapterKeys)
			errs = append(errs, &Error{File: file, Line: k.Line, Col: k.Column, Err: err})
			suggested[s] = true
			continue
		}
		lines[k.Value] = k.Line
		if k.Value == "defaults" && v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				dk := v.Content[j]
				if !slices.Contains(defaultKeys, dk.Value) {
					errs = append(errs, &Error{File: file, Line: dk.Line, Col: dk.Column, Err: unknownKey("chapter defaults", dk.Value, defaultKeys)})
				}
			}
		}
	}
	var cf chapterFile
	bad := map[int]bool{}
	if err := root.Decode(&cf); err != nil && !errors.Is(err, io.EOF) {
		terrs := yamlErrors(err, 0)
		for _, e := range terrs {
			e.File = file
			e.Col = valueCol(root, e.Line)
			e.Err = fmt.Errorf("chapter: %s", strings.TrimPrefix(e.Err.Error(), "front matter: "))
			bad[e.Line] = true
		}
		errs = append(errs, terrs...)
	}
	if l, set := lines["title"]; strings.TrimSpace(cf.Title) == "" && !(set && bad[l]) && !suggested["title"] {
		errs = append(errs, &Error{File: file, Line: max(l, 1), Col: 1, Err: errors.New(`chapter: "title" is required`)})
	}
	ch := &chapterInfo{Chapter: Chapter{Dir: dir, Title: cf.Title, Summary: cf.Summary}, defaults: cf.Defaults}
	if m := orderPrefixRE.FindStringSubmatch(dir); m != nil {
		ch.Order, _ = strconv.Atoi(m[1])
	}
	if cf.Order != nil && !bad[lines["order"]] {
		ch.Order = *cf.Order
		ch.orderLine = lines["order"]
	}
	if l, set := lines["order"]; ch.Order < 1 && !(set && bad[l]) && !suggested["order"] {
		errs = append(errs, &Error{File: file, Line: max(l, 1), Col: 1, Err: fmt.Errorf("chapter: no order: set \"order\" or name the folder NN-%s", dir)})
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, errs
	}
	return ch, nil
}
