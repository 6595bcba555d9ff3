package socketio

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// binaryHeader is a BINARY_EVENT "up" announcing n attachments (n < 10).
func binaryHeader(n int) string {
	var b strings.Builder
	b.WriteString("5" + strconv.Itoa(n) + `-["up"`)
	for i := range n {
		b.WriteString(`,{"_placeholder":true,"num":` + strconv.Itoa(i) + `}`)
	}
	return b.String() + "]"
}

func TestBinaryPacketSizeCap(t *testing.T) {
	hdr := binaryHeader(3) // 97 bytes
	tests := []struct {
		name      string
		atts      []int // attachment sizes sent
		wantClose bool
		wantUp    int // attachments delivered to the handler
	}{
		{"under the cap: delivered", []int{1, 1, 1}, false, 3},
		{"exactly the cap: delivered", []int{1, 1, 200 - len(hdr) - 2}, false, 3},
		{"one byte over, on the last attachment", []int{1, 1, 200 - len(hdr) - 1}, true, 0},
		{"one huge first attachment", []int{1 << 20}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, Options{MaxPacketBytes: 200})
			var reason string
			var got int
			srv.OnConnection(func(s *Socket) {
				s.On("up", func(e *Event) { got = len(e.Attachments) })
				s.OnDisconnect(func(r string) { reason = r })
			})
			p := dial(t, srv)
			p.connect("/")
			p.send(hdr)
			for _, n := range tt.atts {
				if pk, b := srv.PendingBinary(); pk != 1 || b > 200 {
					t.Fatalf("pending %d packets, %d bytes; want 1 packet, at most 200 bytes", pk, b)
				}
				p.c.OnBinary(bytes.Repeat([]byte{7}, n))
			}
			closed, creason := p.isClosed()
			if closed != tt.wantClose || got != tt.wantUp {
				t.Fatalf("closed=%v (%q), handler got %d attachments; want closed=%v, %d", closed, creason, got, tt.wantClose, tt.wantUp)
			}
			if tt.wantClose && (creason != ReasonPacketTooLarge || reason != "parse error") {
				t.Errorf("connection closed with %q, socket with %q; want %q and %q", creason, reason, ReasonPacketTooLarge, "parse error")
			}
			if pk, b := srv.PendingBinary(); pk != 0 || b != 0 {
				t.Errorf("still pending: %d packets, %d bytes", pk, b)
			}
		})
	}
}

func TestAttachmentTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(Options{AttachmentTimeout: time.Second})
		defer srv.Close()
		var reasons []string
		srv.OnConnection(func(s *Socket) {
			s.OnDisconnect(func(r string) { reasons = append(reasons, r) })
		})
		half, whole := dial(t, srv), dial(t, srv)
		half.connect("/")
		whole.connect("/")
		half.send(binaryHeader(2))
		half.c.OnBinary([]byte{1})
		whole.send(binaryHeader(2))
		whole.c.OnBinary([]byte{1})
		time.Sleep(999 * time.Millisecond)
		whole.c.OnBinary([]byte{2}) // in time: delivered, and its timer stopped
		if closed, _ := half.isClosed(); closed {
			t.Fatal("closed before AttachmentTimeout")
		}
		if pk, b := srv.PendingBinary(); pk != 1 || b != len(binaryHeader(2))+1 {
			t.Fatalf("pending %d packets, %d bytes; want the half-sent one", pk, b)
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		if closed, reason := half.isClosed(); !closed || reason != ReasonAttachmentsTimeout {
			t.Errorf("half-sent: closed=%v %q, want closed with %q", closed, reason, ReasonAttachmentsTimeout)
		}
		if pk, b := srv.PendingBinary(); pk != 0 || b != 0 {
			t.Errorf("still pending: %d packets, %d bytes", pk, b)
		}
		time.Sleep(time.Minute) // the completed packet's timer must not fire
		synctest.Wait()
		if closed, reason := whole.isClosed(); closed {
			t.Errorf("completed packet's connection closed: %q", reason)
		}
		if len(reasons) != 1 || reasons[0] != "parse error" {
			t.Errorf("socket disconnect reasons %q, want one \"parse error\"", reasons)
		}
	})
}

// TestNamespaceCap: CONNECTs to ever new names a dynamic namespace matches (refused by its
// middleware or not) stop creating children at MaxNamespaces; known names still work.
func TestNamespaceCap(t *testing.T) {
	srv := newTestServer(t, Options{MaxNamespaces: 4, RateLimit: -1})
	orgs := srv.OfRegexp(regexp.MustCompile(`^/org-\d+$`))
	orgs.Use(func(s *Socket, next func(error)) {
		if s.Namespace().Name() == "/org-1" {
			next(nil)
			return
		}
		next(&ConnectError{Message: "not authorized"})
	})
	p := dial(t, srv)
	p.connect("/")
	for i := 1; i <= 10; i++ {
		p.send("0/org-" + strconv.Itoa(i) + ",")
	}
	got := p.take()
	want := []string{`4/org-2,{"message":"not authorized"}`, `4/org-3,{"message":"not authorized"}`}
	for i := 4; i <= 10; i++ {
		want = append(want, `4/org-`+strconv.Itoa(i)+`,{"message":"too many namespaces"}`)
	}
	if len(got) != 1+len(want) || !strings.HasPrefix(got[0], "0/org-1,{") || !slices.Equal(got[1:], want) {
		t.Fatalf("got %q, want /org-1 joined, then %q", got, want)
	}
	srv.mu.Lock()
	n := len(srv.nsps)
	srv.mu.Unlock()
	if n > 4 {
		t.Errorf("%d namespaces, over the cap of 4", n)
	}
	q := dial(t, srv)
	q.connect("/org-1") // a namespace that exists is joined as before
}
