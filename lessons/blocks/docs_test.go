package blocks

import (
	"os"
	"regexp"
	"testing"
)

// TestDocsNameEveryKey: docs/authoring.md names every key a quiz or an exercise block accepts
// (as `key` or key:), so a key added here without its documentation fails.
func TestDocsNameEveryKey(t *testing.T) {
	docs, err := os.ReadFile("../../docs/authoring.md")
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string][]string{
		"quiz question": questionKeys, "quiz choice": choiceKeys,
		"exercise": exerciseKeys, "exercise demo": exerciseDemo, "exercise client": clientKeys, "exercise check": checkKeys,
	}
	for _, kinds := range [][]itemKind{stepKinds, expectKinds} {
		for _, k := range kinds {
			lists["exercise "+k.key] = k.keys
		}
	}
	for what, keys := range lists {
		for _, key := range keys {
			if !docsName(docs, key) {
				t.Errorf("docs/authoring.md does not name the %s key %q", what, key)
			}
		}
	}
}

// docsName reports whether docs names key as `key…` or as "key:" in YAML.
func docsName(docs []byte, key string) bool {
	q := regexp.QuoteMeta(key)
	return regexp.MustCompile("`" + q + "\\b|(^|[\\s{,])" + q + ":").Match(docs)
}
