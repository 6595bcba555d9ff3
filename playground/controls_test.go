package playground

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDemoControlsRule: a demo's controls name parts of the widget; anything else, or a name
// listed twice, is refused at its index.
func TestDemoControlsRule(t *testing.T) {
	tests := []struct {
		name, config, err string
	}{
		{"none declared", `{}`, ""},
		{"empty: the script alone", `{"controls":[]}`, ""},
		{"some", `{"controls":["say","disconnect","log"]}`, ""},
		{"every one", `{"controls":["` + strings.Join(DemoControls, `","`) + `"]}`, ""},
		{"unknown", `{"controls":["say","emt"]}`, `controls[1]: unknown control "emt" (known: emit, scopes,`},
		{"twice", `{"controls":["log","say","log"]}`, `controls[2]: "log" is listed twice`},
		{"not a list", `{"controls":"log"}`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateDemo("console", json.RawMessage(tt.config))
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("ValidateDemo = %v, want %q", err, tt.err)
			}
		})
	}
}
