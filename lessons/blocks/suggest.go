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

// editDistance is the optimal-string-alignment distance between a and b,
// in bytes: insertions, deletions, substitutions and swaps of neighbours
// ("titel" → "title") cost one each.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

var (
	// "script[2]", "clients[0] (Ada)", "predict": one step of an error's path.
	pathSegRE = regexp.MustCompile(`^([a-z][a-z0-9_-]*)(?:\[(\d+)\])?(?: \(.*\))?$`)
	// encoding/json: "unknown field "x"" and "Go struct field T.a.b of type".
	unknownFieldRE = regexp.MustCompile(`unknown (?:field|key) "([^"]*)"`)
	structFieldRE  = regexp.MustCompile(`into (?:Go struct field [^ .]+\.(\S+)|field "([^"]+)") of type`)
	jsonKindRE     = regexp.MustCompile(`cannot unmarshal (\w+) into`)
	quotedRE       = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
)

// locateConfigError finds the node of a demo config that a validation
// message is about, from the path it names ("script[2]: room "x" ...",
// "clients[0] (A): ...", "unknown key "x""). Nil when it cannot.
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
		parts := strings.Split(m[1]+m[2], ".")
		kind := ""
		if k := jsonKindRE.FindStringSubmatch(msg); k != nil {
			kind = k[1]
		}
		if n := findTyped(root, parts[len(parts)-1], kind); n != nil {
			return n
		}
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

// findTyped finds, under a key named key, the value (or list element) of
// the JSON kind encoding/json complained about: "object", "array",
// "number", "string" or "bool".
func findTyped(n *yaml.Node, key, kind string) *yaml.Node {
	is := func(v *yaml.Node) bool {
		switch kind {
		case "object":
			return v.Kind == yaml.MappingNode
		case "array":
			return v.Kind == yaml.SequenceNode
		case "number":
			return v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float")
		case "string":
			return v.Kind == yaml.ScalarNode && v.Tag == "!!str"
		case "bool":
			return v.Kind == yaml.ScalarNode && v.Tag == "!!bool"
		}
		return false
	}
	var found *yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for i := 0; found == nil && i < len(n.Content); i++ {
			c := n.Content[i]
			if n.Kind == yaml.MappingNode && i%2 == 0 && c.Value == key && i+1 < len(n.Content) {
				v := n.Content[i+1]
				if is(v) {
					found = v
					return
				}
				if v.Kind == yaml.SequenceNode {
					for _, e := range v.Content {
						if is(e) {
							found = e
							return
						}
					}
				}
			}
			walk(c)
		}
	}
	walk(n)
	return found
}
