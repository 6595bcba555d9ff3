package playground

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"socketlab/playground/socketio"
)

// TestOpenPrivateInstance: what a package built on instances (the classroom) relies on. Open runs
// Setup before any client can reach the instance; a private instance is served by its owner's
// handler (here a WebSocket; the classroom tests poll) and never at /play/{id}/socket.io/, which
// answers like an unknown instance; SetName names its
// sockets in the tap, which stays served; Close takes it out of the registry and disconnects its
// clients.
func TestOpenPrivateInstance(t *testing.T) {
	r, srv := newTestRegistry(t, Options{})
	in, err := r.Open(Spec{Demo: "owned", Private: true, Setup: func(in *Instance) {
		in.IO().Of("/").OnConnection(func(s *socketio.Socket) {
			in.SetName(s.ID(), "Ada")
			s.Emit("hello")
		})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 1 || in.Closed() {
		t.Fatalf("after Open: %d instances, closed %v; want 1, false", r.Len(), in.Closed())
	}
	owner := httptest.NewServer(in)
	defer owner.Close()

	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, unknown := get(srv.URL + "/play/nope/socket.io/?EIO=4&transport=polling")
	if status, body := get(srv.URL + "/play/" + in.ID() + "/socket.io/?EIO=4&transport=polling"); status != http.StatusNotFound || body != unknown {
		t.Errorf("/play/ID/socket.io/ of a private instance = %d %q, want 404 %q", status, body, unknown)
	}
	c := dialRaw(t, owner.URL, "/socket.io/", "/", "")
	c.expect("40{")
	c.expect(`42["hello"]`)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+in.TapPath(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for !strings.Contains(sc.Text(), `"name":"Ada"`) {
		if !sc.Scan() {
			t.Fatalf("tap %s (HTTP %d) ended without the name SetName gave: %v", in.TapPath(), resp.StatusCode, sc.Err())
		}
	}

	in.Close()
	if r.Len() != 0 || !in.Closed() {
		t.Errorf("after Close: %d instances, closed %v; want 0, true", r.Len(), in.Closed())
	}
	c.closed(5 * time.Second) // the client reads while the hub closes, as a browser does
}
