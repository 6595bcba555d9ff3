package lessons

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

type frontMatter struct {
	Title      string   `yaml:"title"`
	Summary    string   `yaml:"summary"`
	Objectives []string `yaml:"objectives"`
	Questions  []string `yaml:"questions"`
	Order      *int     `yaml:"order"`
	Slug       string   `yaml:"slug"`
	Draft      bool     `yaml:"draft"`

	keyLines map[string]int `yaml:"-"` // file line of each top-level key
}

// line returns the file line of key, or 1 (the opening ---).
func (fm *frontMatter) line(key string) int {
	if l, ok := fm.keyLines[key]; ok {
		return l
	}
	return 1
}

var (
	bom = []byte("\xef\xbb\xbf")
	// "yaml: line 3: message" and the "line 3: message" entries of a TypeError.
	yamlErrLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownKeyRE  = regexp.MustCompile(`^field (.+) not found in type \S+$`)
)

// parseFrontMatter splits src into its front matter and body. The body
// keeps the file's line numbers: the front matter lines become blank lines.
// A nil *frontMatter means the file cannot be parsed further.
func parseFrontMatter(src []byte) (*frontMatter, []byte, []*Error) {
	src = bytes.TrimPrefix(src, bom)
	first, rest, _ := bytes.Cut(src, []byte("\n"))
	if string(bytes.TrimRight(first, " \t\r")) != "---" {
		return nil, nil, []*Error{lineErr(1, "missing front matter: start the file with a --- line, then title: and summary:")}
	}
	var yamlText []byte
	end := -1 // line number of the closing ---
	for n, r := 2, rest; ; n++ {
		line, next, found := bytes.Cut(r, []byte("\n"))
		if string(bytes.TrimRight(line, " \t\r")) == "---" {
			end, rest = n, next
			break
		}
		yamlText = append(yamlText, line...)
		yamlText = append(yamlText, '\n')
		if !found {
			break
		}
		r = next
	}
	if end < 0 {
		return nil, nil, []*Error{lineErr(1, "front matter: no closing --- line")}
	}
	body := make([]byte, 0, end+len(rest))
	body = append(body, bytes.Repeat([]byte("\n"), end)...)
	body = append(body, rest...)

	fm := &frontMatter{keyLines: map[string]int{}}
	// The YAML starts on file line 2.
	const offset = 1
	var node yaml.Node
	if err := yaml.Unmarshal(yamlText, &node); err != nil {
		return nil, nil, yamlErrors(err, offset)
	}
	if len(node.Content) == 0 {
		return nil, nil, []*Error{lineErr(1, "front matter: title and summary are required")}
	}
	root := node.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, nil, []*Error{lineErr(root.Line+offset, "front matter: want key: value lines (title:, summary:, ...)")}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		fm.keyLines[k.Value] = k.Line + offset
	}
	dec := yaml.NewDecoder(bytes.NewReader(yamlText))
	dec.KnownFields(true)
	if err := dec.Decode(fm); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, yamlErrors(err, offset)
	}
	var errs []*Error
	if strings.TrimSpace(fm.Title) == "" {
		errs = append(errs, lineErr(fm.line("title"), "front matter: \"title\" is required"))
	}
	if strings.TrimSpace(fm.Summary) == "" {
		errs = append(errs, lineErr(fm.line("summary"), "front matter: \"summary\" is required"))
	}
	for key, list := range map[string][]string{"objectives": fm.Objectives, "questions": fm.Questions} {
		for i, s := range list {
			if strings.TrimSpace(s) == "" {
				errs = append(errs, lineErr(fm.line(key), "front matter: %s item %d is empty", key, i+1))
			}
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return fm, body, nil
}

// yamlErrors maps yaml.v3 errors to file lines.
func yamlErrors(err error, offset int) []*Error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var errs []*Error
	for _, m := range msgs {
		line := 1
		if sm := yamlErrLineRE.FindStringSubmatch(m); sm != nil {
			if n, err := strconv.Atoi(sm[1]); err == nil {
				line, m = n+offset, sm[2]
			}
		}
		m = strings.TrimPrefix(m, "yaml: ")
		if sm := unknownKeyRE.FindStringSubmatch(m); sm != nil {
			m = fmt.Sprintf("unknown key %q (want title, summary, objectives, questions, order, slug, draft)", sm[1])
		}
		errs = append(errs, lineErr(line, "front matter: %s", m))
	}
	return errs
}
