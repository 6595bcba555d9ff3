package blocks

import "testing"

func TestSyntaxError(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
		msg       string
		ok        bool
	}{
		{"tab in the indentation", "a:\n\t- b\n", 2, 1, "found character that cannot start any token", true},
		{"parses", "a: 1\nb: [x]\n", 0, 0, "", false},
		{"unclosed double quote", "title: \"Rooms\nsummary: S.\n", 1, 8, "the quoted value that starts here is never closed", true},
		{"unclosed single quote", "a: 1\nb: 'it''s\nc: 2\n", 2, 4, "the quoted value that starts here is never closed", true},
		{"list item indented wrongly", "- q: x\n  choices:\n    - text: a\n      explain: x\n     - text: b\n", 5, 6, "did not find expected '-' indicator", true},
		{"key indented under a flow list", "clients: [A]\n  x: 1\n", 2, 3, "did not find expected key", true},
		{"a flow list cut by the prefix is not blamed", "a: [1,\n  2]\nb: 1\n  c: 2\n", 4, 3, "mapping values are not allowed in this context", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, col, msg, ok := SyntaxError([]byte(tt.src))
			if line != tt.line || col != tt.col || msg != tt.msg || ok != tt.ok {
				t.Errorf("got %d:%d %q %v, want %d:%d %q %v", line, col, msg, ok, tt.line, tt.col, tt.msg, tt.ok)
			}
		})
	}
}
