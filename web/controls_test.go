package web

import (
	"strings"
	"testing"
)

// TestWithoutControls: socketlab new's demo drops the example's controls key, in flow or block
// style, and nothing else (a client's rooms list stays).
func TestWithoutControls(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"flow", "```demo rooms\ncontrols: [emit]\ntitle: T\n```", "```demo rooms\ntitle: T\n```"},
		{"block", "```demo rooms\ncontrols:\n  - say\n  - log\nclients:\n  - Ada\n```", "```demo rooms\nclients:\n  - Ada\n```"},
		{"none", "```demo chat\nclients: [A]\n```", "```demo chat\nclients: [A]\n```"},
		{"nested rooms stay", "```demo rooms\nclients:\n  - name: Ada\n    rooms: [lobby]\ncontrols: []\n```", "```demo rooms\nclients:\n  - name: Ada\n    rooms: [lobby]\n```"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(withoutControls(strings.Split(tt.in, "\n")), "\n"); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
