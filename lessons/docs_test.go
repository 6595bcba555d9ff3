package lessons

import (
	"os"
	"regexp"
	"testing"
)

// TestDocsNameEveryKey: docs/authoring.md names every front-matter and chapter.yaml key the
// loader accepts, so a key added without its documentation fails.
func TestDocsNameEveryKey(t *testing.T) {
	docs, err := os.ReadFile("../docs/authoring.md")
	if err != nil {
		t.Fatal(err)
	}
	for what, keys := range map[string][]string{"front matter": frontMatterKeys, "chapter": chapterKeys, "chapter defaults": defaultKeys} {
		for _, key := range keys {
			q := regexp.QuoteMeta(key)
			if !regexp.MustCompile("`" + q + "\\b|(^|[\\s{,])" + q + ":").Match(docs) {
				t.Errorf("docs/authoring.md does not name the %s key %q", what, key)
			}
		}
	}
}
