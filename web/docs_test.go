package web

import (
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"socketlab/playground"
)

// TestDocsNameEveryDemoKeyAndKind: docs/authoring.md and docs/demos.md name every key a demo
// config accepts, at any depth (as `key` or key:), every demo kind, and the client limit, so a
// key or kind added without its documentation fails.
func TestDocsNameEveryDemoKeyAndKind(t *testing.T) {
	var docs []byte
	for _, f := range []string{"../docs/authoring.md", "../docs/demos.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b...)
	}
	named := func(key string) bool {
		q := regexp.QuoteMeta(key)
		return regexp.MustCompile("`" + q + "\\b|(^|[\\s{,])" + q + ":").Match(docs)
	}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ == rawType {
			return
		}
		seen[typ] = true
		fields := configFields(typ)
		for _, key := range slices.Sorted(maps.Keys(fields)) {
			if !named(key) {
				t.Errorf("the docs do not name the demo config key %s%q", path, key)
			}
			walk(fields[key], path+key+".")
		}
	}
	walk(reflect.TypeFor[playground.DemoConfig](), "")
	for _, kind := range playground.DemoNames {
		if !named(kind) {
			t.Errorf("the docs do not name the demo kind %q", kind)
		}
	}
	if limit := fmt.Sprintf("at most %d clients", playground.MaxDemoClients); !regexp.MustCompile(regexp.QuoteMeta(limit)).Match(docs) {
		t.Errorf("the docs do not say %q", limit)
	}
}
