package blocks

import (
	"bytes"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxLocateLines and maxLocateBytes bound SyntaxError's re-parses (one parse per line).
const (
	maxLocateLines = 400
	maxLocateBytes = 32 << 10
)

// yamlErrRE splits a yaml.v3 syntax error: "yaml: line N: message".
var yamlErrRE = regexp.MustCompile(`^(?:yaml: )?(?:line (\d+): )?(.*)$`)

// SyntaxError places a YAML syntax error where the author must look. yaml.v3 reports the line
// where the enclosing collection starts ("line 2: did not find expected '-' indicator" for a
// list item indented wrongly on line 9), and an unclosed quote at the end of the text. The
// offending line is the last line of the shortest prefix of src that fails the same way (for an
// unclosed quote or bracket: that fails at all). It returns that 1-based line and column, and the
// message in an author's words; ok is false when src parses or has too many lines to search.
func SyntaxError(src []byte) (line, col int, msg string, ok bool) {
	var node yaml.Node
	err := yaml.Unmarshal(src, &node)
	if err == nil {
		return 0, 0, "", false
	}
	full := yamlErrRE.FindStringSubmatch(err.Error())[2]
	lines := strings.SplitAfter(string(src), "\n")
	if len(lines) > maxLocateLines || len(src) > maxLocateBytes {
		return 0, 0, "", false
	}
	atEnd := strings.Contains(full, "end of stream")
	var prefix []byte
	for n, l := range lines {
		prefix = append(prefix, l...)
		var node yaml.Node
		perr := yaml.Unmarshal(prefix, &node)
		if perr == nil {
			continue
		}
		m := yamlErrRE.FindStringSubmatch(perr.Error())[2]
		if !atEnd && m != full {
			continue // a prefix cut inside a flow collection, say: not this error
		}
		text := strings.TrimRight(l, "\r\n")
		indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
		col = len(indent) + 1
		if i := strings.IndexByte(indent, '\t'); i >= 0 {
			col = i + 1 // YAML indents with spaces only: the tab is the problem
		}
		msg = m
		if atEnd || strings.Contains(m, "end of stream") {
			if q := unclosedQuote(text); q >= 0 {
				return n + 1, q + 1, "the quoted value that starts here is never closed", true
			}
		}
		return n + 1, col, msg, true
	}
	return 0, 0, "", false
}

// unclosedQuote is the index of the quote that opens a value on line and is not closed on it,
// or -1.
func unclosedQuote(line string) int {
	_, v, found := strings.Cut(line, ": ")
	start := len(line) - len(v)
	if !found {
		v, start = strings.TrimLeft(line, " \t-"), len(line)-len(strings.TrimLeft(line, " \t-"))
	}
	t := strings.TrimLeft(v, " ")
	start += len(v) - len(t)
	if t == "" || (t[0] != '"' && t[0] != '\'') {
		return -1
	}
	rest := []byte(t[1:])
	if t[0] == '"' {
		for i := 0; i < len(rest); i++ {
			if rest[i] == '\\' {
				i++
			} else if rest[i] == '"' {
				return -1
			}
		}
		return start
	}
	if bytes.Count(rest, []byte("'"))%2 == 0 { // '' is an escaped quote inside '…'
		return start
	}
	return -1
}
