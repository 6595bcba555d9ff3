package socketio

import (
	"regexp"
	"strings"
	"testing"
)

// A dynamic parent's middleware is looked up at each connection, so middleware added after a
// child namespace exists guards that child too. This is deliberately stricter than socket.io,
// where a child copies its parent's middleware when it is created (node/truth/07-tenants.test.js
// "parent middleware added after a child exists does not reach that child"; lesson 7 says so).
func TestParentMiddlewareAddedLaterReachesChildren(t *testing.T) {
	srv := newTestServer(t, Options{})
	parent := srv.OfRegexp(regexp.MustCompile(`^/org-[a-z]+$`))
	p := dial(t, srv)
	p.connect("/org-early") // creates /org-early
	p.send("1/org-early,")
	p.take()
	parent.Use(func(s *Socket, next func(error)) { next(&ConnectError{Message: "closed for maintenance"}) })
	for _, nsp := range []string{"/org-early", "/org-late"} {
		p.send("0" + nsp + ",")
		got := strings.Join(p.take(), " ")
		if !strings.Contains(got, "4"+nsp+`,{"message":"closed for maintenance"}`) {
			t.Errorf("%s after the parent's new middleware: got %q, want its CONNECT_ERROR", nsp, got)
		}
	}
}
