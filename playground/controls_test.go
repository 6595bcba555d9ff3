package playground

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
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

// TestDemoControlsInWidget: every control name a lesson may declare tags a part of the widget
// (static/js: data-control / dataset.control), and the widget tags nothing the check refuses.
func TestDemoControlsInWidget(t *testing.T) {
	var src strings.Builder
	for _, f := range []string{"demos.js", "demo-code.js"} {
		b, err := os.ReadFile(filepath.Join("..", "static", "js", f))
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	used := map[string]bool{}
	re := regexp.MustCompile(`(?:"data-control": |dataset\.control = |tag\([^,]+, )([^;\n]+?)(?:\)|;|\}|,\s*"|$)`)
	for _, m := range re.FindAllStringSubmatch(src.String(), -1) {
		for _, q := range regexp.MustCompile(`"([a-z ]+)"`).FindAllStringSubmatch(m[1], -1) {
			for _, n := range strings.Fields(q[1]) {
				used[n] = true
			}
		}
	}
	for _, n := range DemoControls {
		if !used[n] {
			t.Errorf("control %q: no part of the widget (static/js/demos.js) is tagged with it", n)
		}
		delete(used, n)
	}
	for n := range used {
		t.Errorf("static/js/demos.js tags a part %q, which DemoControls does not list (a lesson could not declare it)", n)
	}
}
