package stream

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recv takes what a subscription holds now, without waiting.
func recv[T any](c <-chan Event[T]) (got []Event[T], closed bool) {
	for {
		select {
		case ev, ok := <-c:
			if !ok {
				return got, true
			}
			got = append(got, ev)
		default:
			return got, false
		}
	}
}

func TestTopic(t *testing.T) {
	type ev = Event[string]
	tests := []struct {
		name    string
		opts    Options
		publish []string // "=x" is Send("x"), else Publish
		after   uint64
		first   []string
		more    []string // published after Subscribe
		want    []ev
		closed  bool
	}{
		{
			name: "no history: only what comes after", opts: Options{Buffer: 8},
			publish: []string{"a", "b"}, more: []string{"c"},
			want: []ev{{0, "c"}},
		},
		{
			name: "first, then the history, then live", opts: Options{Buffer: 8, History: 8},
			publish: []string{"a", "=snapshot", "b"}, first: []string{"state"}, more: []string{"c", "=s2"},
			want: []ev{{0, "state"}, {1, "a"}, {2, "b"}, {3, "c"}, {0, "s2"}},
		},
		{
			name: "the history keeps the last values", opts: Options{Buffer: 8, History: 2},
			publish: []string{"a", "b", "c"},
			want:    []ev{{2, "b"}, {3, "c"}},
		},
		{
			name: "the history keeps what fits its bytes, the newest", opts: Options{Buffer: 8, History: 8, HistoryBytes: 5},
			publish: []string{"aa", "bb", "cc"},
			want:    []ev{{2, "bb"}, {3, "cc"}},
		},
		{
			name: "a value over the byte budget is sent, not kept, and evicts nothing", opts: Options{Buffer: 8, History: 8, HistoryBytes: 5},
			publish: []string{"aa", "bbbbbb", "c"}, more: []string{"dddddd"},
			want: []ev{{1, "aa"}, {3, "c"}, {4, "dddddd"}},
		},
		{
			name: "Last-Event-ID replays what came after it", opts: Options{Buffer: 8, History: 8},
			publish: []string{"a", "b", "c"}, after: 2,
			want: []ev{{3, "c"}},
		},
		{
			name: "the replay fits even past the buffer", opts: Options{Buffer: 1, History: 8},
			publish: []string{"a", "b", "c"}, first: []string{"state"},
			want: []ev{{0, "state"}, {1, "a"}, {2, "b"}, {3, "c"}},
		},
		{
			name: "a full subscriber is dropped, not waited for", opts: Options{Buffer: 2},
			more: []string{"a", "b", "c", "d"},
			want: []ev{{0, "a"}, {0, "b"}}, closed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := New[string](tt.opts)
			pub := func(vs []string) {
				for _, v := range vs {
					if s, ok := strings.CutPrefix(v, "="); ok {
						top.Send(s)
					} else {
						top.Publish(v)
					}
				}
			}
			pub(tt.publish)
			c, cancel, err := top.Subscribe(tt.after, tt.first...)
			if err != nil {
				t.Fatal(err)
			}
			defer cancel()
			pub(tt.more)
			got, closed := recv(c)
			if !slices.Equal(got, tt.want) || closed != tt.closed {
				t.Errorf("got %v (closed %v), want %v (closed %v)", got, closed, tt.want, tt.closed)
			}
			if b := tt.opts.HistoryBytes; b > 0 && top.HistoryBytes() > b {
				t.Errorf("HistoryBytes = %d, over the budget %d", top.HistoryBytes(), b)
			}
			if tt.closed && top.Len() != 0 {
				t.Errorf("Len = %d after the drop, want 0", top.Len())
			}
		})
	}
}

func TestTopicCloseAndCancel(t *testing.T) {
	top := New[int](Options{Buffer: 4, History: 4})
	a, cancelA, _ := top.Subscribe(0)
	b, cancelB, _ := top.Subscribe(0)
	cancelA()
	cancelA() // twice: no panic
	if _, closed := recv(a); !closed || top.Len() != 1 {
		t.Fatalf("cancel: closed %v, Len %d; want closed and 1 left", closed, top.Len())
	}
	top.Publish(1)
	top.Close()
	top.Close()
	if got, closed := recv(b); !closed || len(got) != 1 {
		t.Errorf("Close: got %v closed %v, want the value, then closed", got, closed)
	}
	cancelB() // after Close: no panic
	top.Publish(2)
	top.Send(3)
	if _, _, err := top.Subscribe(0); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
}

// TestTopicConcurrent: publishers, subscribers that come, read and go, and a Close meeting them
// (blocked readers included): no send on a closed channel, no subscription left behind (run under -race).
func TestTopicConcurrent(t *testing.T) {
	top := New[int](Options{Buffer: 4, History: 16})
	var wg, publishers sync.WaitGroup
	for p := range 4 {
		publishers.Go(func() {
			for i := range 500 {
				if i%3 == 0 {
					top.Send(p)
				} else {
					top.Publish(p)
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range 50 {
				c, cancel, err := top.Subscribe(0, -1)
				if err != nil {
					return // closed
				}
				for range 3 {
					if _, ok := <-c; !ok {
						break
					}
				}
				cancel()
			}
		})
	}
	publishers.Wait()
	top.Close() // ends the reads still waiting; later Subscribes fail
	wg.Wait()
	if n := top.Len(); n != 0 {
		t.Errorf("Len = %d after Close, want 0", n)
	}
}

// readEvents reads an SSE body into its events (blank-line separated), until EOF.
func readEvents(t *testing.T, body io.Reader, out chan<- string) {
	t.Helper()
	defer close(out)
	sc := bufio.NewScanner(body)
	var cur []string
	for sc.Scan() {
		if sc.Text() == "" {
			out <- strings.Join(cur, "\n")
			cur = nil
			continue
		}
		cur = append(cur, sc.Text())
	}
}

// TestSSE: the stream a browser's EventSource reads: the retry time, ids, the event name,
// multi-line data, keep-alives when idle, and its end when the topic closes.
func TestSSE(t *testing.T) {
	top := New[string](Options{Buffer: 8, History: 8})
	top.Publish("one")
	sse := SSE[string]{Event: "note", Retry: 1500 * time.Millisecond, KeepAlive: 20 * time.Millisecond, Data: func(s string) []byte { return []byte(s) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, cancel, err := top.Subscribe(0, "state")
		if err != nil {
			http.Error(w, err.Error(), http.StatusGone)
			return
		}
		defer cancel()
		sse.Serve(w, r, c)
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	events := make(chan string, 16)
	go readEvents(t, resp.Body, events)
	want := func(w string) {
		t.Helper()
		if got := <-events; got != w {
			t.Errorf("got event %q, want %q", got, w)
		}
	}
	want("retry: 1500")
	want("event: note\ndata: state")
	want("id: 1\nevent: note\ndata: one")
	top.Publish("two\nlines")
	want("id: 2\nevent: note\ndata: two\ndata: lines")
	want(": keep-alive") // nothing was published for KeepAlive
	top.Close()
	for ev := range events { // the end of the stream, after any keep-alives
		if ev != ": keep-alive" {
			t.Errorf("after Close: got %q, want the end of the stream", ev)
		}
	}
}

// TestSSEWriteDeadline: a client that stops reading is given up on once a write has waited
// WriteTimeout: the handler returns and the subscription ends.
func TestSSEWriteDeadline(t *testing.T) {
	top := New[string](Options{Buffer: 1 << 12})
	big := strings.Repeat("x", 64<<10)
	done := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		c, cancel, _ := top.Subscribe(0)
		defer cancel()
		SSE[string]{WriteTimeout: 50 * time.Millisecond, Data: func(s string) []byte { return []byte(s) }}.Serve(w, r, c)
	}))
	srv.Start()
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A request, then never a read: the socket buffers fill and the writes block.
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		top.Publish(big)
		select {
		case <-done:
			if top.Len() != 0 {
				t.Errorf("Len = %d after the handler returned, want 0", top.Len())
			}
			return
		case <-ctx.Done():
			t.Fatal("the handler still writes to a client that reads nothing")
		case <-time.After(time.Millisecond):
		}
	}
}
