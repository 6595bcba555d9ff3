package blocks

import (
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Suggest returns the option nearest to s (case-insensitive edit distance),
// or "" when none is close enough to be what the author meant: at most one
// edit for short words, a third of the word's length for longer ones.
func Suggest(s string, options []string) string {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	limit := max(1, len(ls)/3)
	for _, o := range options {
		d := editDistance(ls, strings.ToLower(o))
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = o, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var (
	// "script[2]", "clients[0] (Ada)", "predict": one step of an error's path.
	pathSegRE = regexp.MustCompile(`^([a-z][a-z0-9_-]*)(?:\[(\d+)\])?(?: \(.*\))?$`)
	// encoding/json: "unknown field "x"" and "Go struct field T.a.b of type".
	unknownFieldRE = regexp.MustCompile(`unknown field "([^"]*)"`)
	structFieldRE  = regexp.MustCompile(`Go struct field [^ .]+\.(\S+) of type`)
	quotedRE       = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
)

// locateConfigError finds the node of a demo config that a validation
// message is about, from the path it names ("script[2]: room "x" ...",
// "clients[0] (A): ...", "json: unknown field "x""). Nil when it cannot.
func locateConfigError(root *yaml.Node, msg string) *yaml.Node {
	if root == nil {
		return nil
	}
	cur := root
	var at *yaml.Node // the deepest node the path reached
	for _, seg := range strings.Split(msg, ": ") {
		m := pathSegRE.FindStringSubmatch(seg)
		if m == nil || cur.Kind != yaml.MappingNode {
			continue
		}
		k, v := mapGet(cur, m[1])
		if v == nil {
			continue
		}
		cur, at = v, k
		if m[2] != "" {
			i, _ := strconv.Atoi(m[2])
			if cur.Kind != yaml.SequenceNode || i >= len(cur.Content) {
				break
			}
			cur = cur.Content[i]
			at = cur
		}
	}
	if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
		if n := findNode(cur, m[1], true); n != nil {
			return n
		}
		return findNode(root, m[1], true)
	}
	if m := structFieldRE.FindStringSubmatch(msg); m != nil {
		parts := strings.Split(m[1], ".")
		if n := findNode(root, parts[len(parts)-1], true); n != nil {
			return n
		}
	}
	if m := quotedRE.FindAllStringSubmatch(msg, -1); len(m) > 0 {
		for i := len(m) - 1; i >= 0; i-- {
			if at == nil {
				break
			}
			if v, err := strconv.Unquote(`"` + m[i][1] + `"`); err == nil {
				if n := findNode(cur, v, false); n != nil {
					return n
				}
			}
		}
	}
	return at
}

func mapGet(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// findNode returns the first mapping key (key true) or scalar value (key
// false) equal to s in n's tree, depth first.
func findNode(n *yaml.Node, s string, key bool) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if key && n.Content[i].Value == s {
				return n.Content[i]
			}
			if f := findNode(n.Content[i+1], s, key); f != nil {
				return f
			}
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			if f := findNode(c, s, key); f != nil {
				return f
			}
		}
	case yaml.ScalarNode:
		if !key && n.Value == s {
			return n
		}
	}
	return nil
}
