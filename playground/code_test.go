package playground

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// postCode runs code on instance id through POST /play/{id}/code and returns the status and body.
func postCode(t *testing.T, srvURL, id, code string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"code": code})
	resp, err := http.Post(srvURL+"/play/"+id+"/code", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestRunCode(t *testing.T) {
	reg, srv := newTestRegistry(t, Options{})
	_, c := create(t, srv.URL, "chat", `{}`)
	tap := openTap(t, srv.URL+c.Tap)
	ada := dialRaw(t, srv.URL, c.Path, "/", `{"name":"Ada"}`)
	ada.expect("40")

	t.Run("a syntax error is refused at its line and column, the old server keeps serving", func(t *testing.T) {
		status, out := postCode(t, srv.URL, c.ID, "io.on(\"connection\", (socket) => {\n  socket.emit(\"hi\";\n});\n")
		if status != http.StatusBadRequest || out["line"] != 2.0 || out["col"] == nil || !strings.Contains(out["error"].(string), "server.js:2:") {
			t.Fatalf("got %d %v, want 400 at server.js:2", status, out)
		}
		ada.write(`42["chat message","still here"]`)
		if got := ada.expect("42"); !strings.Contains(got, "still here") {
			t.Errorf("the kind's chat answered %q", got)
		}
	})
	t.Run("an exception at the top level is refused with its line", func(t *testing.T) {
		status, out := postCode(t, srv.URL, c.ID, "let x = null;\nx.boom();\n")
		if status != http.StatusBadRequest || out["line"] != 2.0 || !strings.Contains(out["error"].(string), "TypeError") {
			t.Fatalf("got %d %v, want 400 TypeError at line 2", status, out)
		}
	})
	t.Run("code over the limit", func(t *testing.T) {
		status, out := postCode(t, srv.URL, c.ID, strings.Repeat("//", 300<<10))
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d %v, want 413", status, out)
		}
	})
	t.Run("new code: the old clients are disconnected, new ones reach the program", func(t *testing.T) {
		code := `io.on("connection", (socket) => {
  console.log("hello from", socket.handshake.auth.name);
  socket.emit("welcome", "v2");
  socket.on("add", (x, ack) => ack(x + 1));
});
`
		if status, out := postCode(t, srv.URL, c.ID, code); status != http.StatusOK || out["path"] != c.Path {
			t.Fatalf("got %d %v, want 200 with the same path", status, out)
		}
		// Ada's connection closes (a restart), so her client would reconnect.
		ada.closed(5 * time.Second)
		grace := dialRaw(t, srv.URL, c.Path, "/", `{"name":"Grace"}`)
		grace.expect("40")
		if got := grace.expect("42"); got != `42["welcome","v2"]` {
			t.Errorf("welcome = %q", got)
		}
		grace.write(`421["add",41]`)
		if got := grace.expect("43"); got != `431[42]` {
			t.Errorf("ack = %q, want 431[42]", got)
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			m := tap(t)
			if m["type"] == "log" && m["msg"] == "hello from Grace" {
				return
			}
		}
		t.Error("console.log never reached the tap")
	})
	t.Run("sockets on the program's other namespaces are named in the tap's state", func(t *testing.T) {
		code := `io.of("/orders").on("connection", (socket) => socket.emit("hi"));
io.of(/^\/org-\w+$/).on("connection", (socket) => socket.emit("hi"));
`
		if status, out := postCode(t, srv.URL, c.ID, code); status != http.StatusOK {
			t.Fatalf("got %d %v", status, out)
		}
		for _, nsp := range []string{"/orders", "/org-acme"} {
			cl := dialRaw(t, srv.URL, c.Path, nsp, `{"name":"Linus"}`)
			cl.expect("40")
		}
		named := map[string]bool{}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(named) < 2; {
			m := tap(t)
			if m["type"] != "state" {
				continue
			}
			for _, ns := range m["namespaces"].([]any) {
				ns := ns.(map[string]any)
				for _, s := range ns["sockets"].([]any) {
					if s.(map[string]any)["name"] == "Linus" {
						named[ns["name"].(string)] = true
					}
				}
			}
		}
		if !named["/orders"] || !named["/org-acme"] {
			t.Errorf("Linus is named on %v, want /orders and /org-acme", named)
		}
	})
	t.Run("a private instance runs no code from /play/", func(t *testing.T) {
		in, err := reg.Open(Spec{Demo: "class", Private: true})
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		if status, _ := postCode(t, srv.URL, in.ID(), `io.on("connection", () => {})`); status != http.StatusNotFound {
			t.Errorf("got %d, want 404", status)
		}
	})
}
