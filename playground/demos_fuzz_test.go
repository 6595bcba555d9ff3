package playground

import (
	"encoding/json"
	"testing"
)

// FuzzParseDemo: the body of POST /play/{demo} comes from anyone. Whatever it is, ParseDemo
// answers without panicking, and a config it accepts is served: its server code renders, and
// it encodes to JSON that parses again to the same config.
func FuzzParseDemo(f *testing.F) {
	for _, s := range []struct{ demo, body string }{
		{"rooms", `{"clients":["Ada","Grace"],"rooms":["room-1"]}`},
		{"rooms", `{"clients":["Ada"],"script":[{"client":"Ada","join":"r9"}]}`},
		{"chat", `{"clients":[{"name":"Ada","namespace":"/orders"}]}`},
		{"namespaces", `{"namespaces":["/orders"],"clients":[{"name":"Ada","namespace":"/orders"}]}`},
		{"console", `{"title":"x","script":[{"client":"Ada","emit":"chat","args":[1,{"a":null}],"scope":"all"}]}`},
		{"acks", `null`}, {"queue", ``}, {"tenants", `{"client":["Ada"]}`}, {"chat", `{} {}`},
	} {
		f.Add(s.demo, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, demo string, body []byte) {
		cfg, err := ParseDemo(demo, body)
		if err != nil {
			return
		}
		if _, err := KindOf(demo).ServerJS(cfg); err != nil {
			t.Fatalf("accepted %q, but its server code does not render: %v", body, err)
		}
		enc, err := json.Marshal(cfg)
		if err != nil {
			t.Fatalf("accepted %q, cannot encode it: %v", body, err)
		}
		again, err := ParseDemo(demo, enc)
		if err != nil {
			t.Fatalf("accepted %q; its encoding %s is refused: %v", body, enc, err)
		}
		if enc2, _ := json.Marshal(again); string(enc2) != string(enc) {
			t.Fatalf("round trip of %q: %s, then %s", body, enc, enc2)
		}
	})
}
