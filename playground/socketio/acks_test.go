package socketio

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// connected returns a server, a peer joined to "/" and its socket.
func connected(t *testing.T, opts Options) (*Server, *peer, *Socket) {
	t.Helper()
	srv := newTestServer(t, opts)
	socks := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) { socks <- s })
	p := dial(t, srv)
	p.connect("/")
	return srv, p, <-socks
}

type ackResult struct {
	p   Payload
	err error
}

func TestServerToClientAck(t *testing.T) {
	t.Run("reply", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, p, s := connected(t, Options{})
			res := make(chan ackResult, 1)
			go func() {
				pl, err := s.EmitWithAck(context.Background(), "question", 1)
				res <- ackResult{pl, err}
			}()
			synctest.Wait()
			if got, want := p.take(), []string{`20["question",1]`}; !slices.Equal(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
			p.send(`30["answer",{"b":1}]`)
			r := <-res
			if r.err != nil || len(r.p.Args) != 2 || string(r.p.Args[1]) != `{"b":1}` {
				t.Errorf("got %v %q, want [\"answer\",{\"b\":1}]", r.err, r.p.Args)
			}
			p.send(`30["again"]`) // a repeated id is ignored
		})
	})
	t.Run("binary reply", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, p, s := connected(t, Options{})
			res := make(chan ackResult, 1)
			go func() {
				pl, err := s.EmitWithAck(context.Background(), "file")
				res <- ackResult{pl, err}
			}()
			synctest.Wait()
			p.take()
			p.send(`61-0[{"_placeholder":true,"num":0}]`)
			p.c.OnBinary([]byte("data"))
			r := <-res
			var b []byte
			if err := r.p.Decode(0, &b); err != nil || string(b) != "data" {
				t.Errorf("got %q, %v, want \"data\"", b, err)
			}
		})
	})
	t.Run("timeout once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, p, s := connected(t, Options{})
			start := time.Now()
			_, err := s.Timeout(100*time.Millisecond).EmitWithAck(context.Background(), "q")
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("got %v, want %v", err, ErrTimeout)
			}
			if d := time.Since(start); d != 100*time.Millisecond {
				t.Errorf("timed out after %v, want 100ms", d)
			}
			if err.Error() != "operation has timed out" {
				t.Errorf("got %q, want %q", err.Error(), "operation has timed out")
			}
			p.send(`30["late"]`) // ignored
			s.mu.Lock()
			n := len(s.acks)
			s.mu.Unlock()
			if n != 0 {
				t.Errorf("got %d pending acks, want 0", n)
			}
		})
	})
	t.Run("default timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, _, s := connected(t, Options{AckTimeout: time.Second})
			start := time.Now()
			if _, err := s.EmitWithAck(context.Background(), "q"); !errors.Is(err, ErrTimeout) || time.Since(start) != time.Second {
				t.Errorf("got %v after %v, want timeout after 1s", err, time.Since(start))
			}
		})
	})
	t.Run("disconnect resolves", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, p, s := connected(t, Options{})
			res := make(chan ackResult, 1)
			go func() {
				pl, err := s.EmitWithAck(context.Background(), "q")
				res <- ackResult{pl, err}
			}()
			synctest.Wait()
			p.Close("transport close")
			if r := <-res; !errors.Is(r.err, ErrDisconnected) {
				t.Errorf("got %v, want %v", r.err, ErrDisconnected)
			}
			if _, err := s.EmitWithAck(context.Background(), "q"); !errors.Is(err, ErrDisconnected) {
				t.Errorf("after disconnect: got %v, want %v", err, ErrDisconnected)
			}
		})
	})
	t.Run("context", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, _, s := connected(t, Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if _, err := s.EmitWithAck(ctx, "q"); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %v, want %v", err, context.DeadlineExceeded)
			}
		})
	})
	t.Run("pending limit", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, _, s := connected(t, Options{MaxPendingAcks: 3})
			ctx, cancel := context.WithCancel(context.Background())
			errs := make(chan error, 4)
			for range 3 {
				go func() {
					_, err := s.EmitWithAck(ctx, "q")
					errs <- err
				}()
			}
			synctest.Wait()
			if _, err := s.EmitWithAck(ctx, "q"); !errors.Is(err, ErrTooManyPendingAcks) {
				t.Errorf("got %v, want %v", err, ErrTooManyPendingAcks)
			}
			cancel()
			for range 3 {
				<-errs
			}
		})
	})
}

func TestBroadcastAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		type out struct {
			replies []Reply
			err     error
		}
		res := make(chan out, 1)
		go func() {
			r, err := w.srv.To("r1", "r2").Timeout(time.Second).EmitWithAck(context.Background(), "vote")
			res <- out{r, err}
		}()
		synctest.Wait()
		var id string
		for _, name := range []string{"A", "B", "C"} {
			got := w.peers[name].take()
			if len(got) != 1 || !strings.HasSuffix(got[0], `["vote"]`) {
				t.Fatalf("%s got %q, want one vote", name, got)
			}
			if id == "" {
				id = strings.TrimSuffix(strings.TrimPrefix(got[0], "2"), `["vote"]`)
			} else if !strings.Contains(got[0], id) {
				t.Errorf("%s got %q, want the same ack id %s", name, got[0], id)
			}
		}
		w.peers["A"].send(fmt.Sprintf(`3%s["yes"]`, id))
		w.peers["B"].send(fmt.Sprintf(`3%s["no"]`, id))
		r := <-res
		if !errors.Is(r.err, ErrTimeout) {
			t.Errorf("got %v, want %v (C did not answer)", r.err, ErrTimeout)
		}
		if len(r.replies) != 2 || r.replies[0].Socket != w.socks["A"].ID() || string(r.replies[1].Args[0]) != `"no"` {
			t.Errorf("got replies %+v, want A yes, B no", r.replies)
		}
	})
}

func TestClientAck(t *testing.T) {
	_, p, s := connected(t, Options{})
	errs := make(chan error, 3)
	s.On("q", func(e *Event) {
		errs <- e.Ack("a")
		errs <- e.Ack("b")
	})
	s.On("n", func(e *Event) { errs <- e.Ack() })
	p.send(`27["q"]`)
	if got, want := p.take(), []string{`37["a"]`}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := <-errs; err != nil {
		t.Errorf("first Ack: %v", err)
	}
	if err := <-errs; !errors.Is(err, ErrAlreadyAcked) {
		t.Errorf("second Ack: got %v, want %v", err, ErrAlreadyAcked)
	}
	p.send(`2["n"]`)
	if err := <-errs; !errors.Is(err, ErrNoAck) {
		t.Errorf("Ack without id: got %v, want %v", err, ErrNoAck)
	}
}

func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, p, s := connected(t, Options{})
		n := 0
		s.On("chat", func(e *Event) { n++ })
		for range 40 {
			p.send(`2["chat"]`)
		}
		p.send(`29["chat"]`)
		if n != 40 {
			t.Errorf("handled %d of the burst, want 40", n)
		}
		if got, want := p.take(), []string{`39[{"error":"too many requests"}]`}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
		time.Sleep(time.Second)
		for range 25 {
			p.send(`2["chat"]`)
		}
		if n != 60 {
			t.Errorf("handled %d after 1s, want 60", n)
		}
		var reason string
		s.OnDisconnect(func(r string) { reason = r })
		// Sustained abuse: 100 packets a second for 6 seconds.
		for range 600 {
			p.send(`2["chat"]`)
			time.Sleep(10 * time.Millisecond)
		}
		if reason != "too many requests" {
			t.Errorf("got reason %q, want %q", reason, "too many requests")
		}
		if got := p.take(); !slices.Contains(got, "1") {
			t.Errorf("no DISCONNECT sent to the client, got %q", got)
		}
		if n > 60+20*6+1 {
			t.Errorf("handled %d, want at most the limit's worth", n)
		}
		_ = srv
	})
}

func TestDisconnectNotRateLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, p, s := connected(t, Options{})
		var reason string
		var connectedInDisconnecting bool
		s.OnDisconnecting(func(string) { connectedInDisconnecting = s.Connected() })
		s.OnDisconnect(func(r string) { reason = r })
		for range 50 {
			p.send(`2["spam"]`)
		}
		p.send("1")
		if reason != "client namespace disconnect" {
			t.Errorf("got reason %q, want %q", reason, "client namespace disconnect")
		}
		if !connectedInDisconnecting || s.Connected() {
			t.Errorf("Connected(): %v in disconnecting, %v after; want true, false", connectedInDisconnecting, s.Connected())
		}
	})
}

// EmitWithAckFunc sends at once, in emit order, and calls done exactly once with the reply, the
// timeout or the disconnection: what an event loop that must never block needs.
func TestEmitWithAckFunc(t *testing.T) {
	tests := []struct {
		name  string
		reply []string // what the client sends after the emits
		wait  time.Duration
		want  []string // done calls, in order
	}{
		{"replies in any order", []string{`31["b"]`, `30["a"]`}, 0, []string{`socket ["b"] <nil>`, `socket ["a"] <nil>`, `broadcast 0 operation has timed out`}},
		{"timeout", nil, 200 * time.Millisecond, []string{`broadcast 0 operation has timed out`, `socket [] operation has timed out`, `socket [] operation has timed out`}},
		{"disconnect", []string{`1`}, 0, []string{`broadcast 0 socketio: socket has been disconnected`, `socket [] socketio: socket has been disconnected`, `socket [] socketio: socket has been disconnected`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv, p, s := connected(t, Options{})
				var mu sync.Mutex // timers may resolve on goroutines of their own
				var got []string
				record := func(s string) { mu.Lock(); got = append(got, s); mu.Unlock() }
				sockDone := func(pl Payload, err error) { record(fmt.Sprintf("socket %s %v", pl.Args, err)) }
				for _, ev := range []string{"a", "b"} {
					if err := s.Timeout(100*time.Millisecond).EmitWithAckFunc(ev, sockDone, 1); err != nil {
						t.Fatal(err)
					}
				}
				err := srv.Timeout(150*time.Millisecond).EmitWithAckFunc("all", func(r []Reply, err error) {
					record(fmt.Sprintf("broadcast %d %v", len(r), err))
				})
				if err != nil {
					t.Fatal(err)
				}
				if sent, want := p.take(), []string{`20["a",1]`, `21["b",1]`, `22["all"]`}; !slices.Equal(sent, want) {
					t.Fatalf("sent %q, want %q", sent, want)
				}
				for _, r := range tc.reply {
					p.send(r)
				}
				time.Sleep(max(tc.wait, 200*time.Millisecond))
				synctest.Wait()
				mu.Lock()
				defer mu.Unlock()
				if tc.reply == nil || tc.reply[0] == "1" { // resolved together: in no set order
					slices.Sort(got)
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("done calls\n  %q\nwant\n  %q", got, tc.want)
				}
			})
		})
	}
}

// TestAckWaitEnds: how long the hub waits for a client's reply to EmitWithAck without Timeout
// (lesson 8's "deliberate differences"): Options.AckTimeout, 10 s by default, where socket.io
// waits forever; and a disconnection fails the pending reply at once with ErrDisconnected,
// where socket.io waits for the timeout.
func TestAckWaitEnds(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		dropAt  time.Duration // the client's connection closes then; 0: never
		wantErr error
		wantAt  time.Duration
	}{
		{"default AckTimeout is 10 s", Options{}, 0, ErrTimeout, 10 * time.Second},
		{"Options.AckTimeout", Options{AckTimeout: 3 * time.Second}, 0, ErrTimeout, 3 * time.Second},
		{"a disconnect fails it at once", Options{}, 4 * time.Second, ErrDisconnected, 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, p, s := connected(t, tt.opts)
				start := time.Now()
				type result struct {
					err error
					at  time.Duration
				}
				res := make(chan result, 1)
				go func() {
					_, err := s.EmitWithAck(context.Background(), "q")
					res <- result{err, time.Since(start)}
				}()
				if tt.dropAt > 0 {
					time.Sleep(tt.dropAt)
					p.Close("transport close")
				}
				r := <-res
				if !errors.Is(r.err, tt.wantErr) || r.at != tt.wantAt {
					t.Errorf("got %v after %v, want %v after %v", r.err, r.at, tt.wantErr, tt.wantAt)
				}
			})
		})
	}
}

// TestWaitForReplyOutsideHandler: a client's events, its acks included, are delivered one at a
// time by its reader, so a handler that waits for the same client's reply keeps the reply from
// being delivered and times out (lesson 8: wait outside the handler, in a goroutine).
func TestWaitForReplyOutsideHandler(t *testing.T) {
	tests := []struct {
		name      string
		goroutine bool
		want      string
		wantAt    time.Duration
	}{
		{"waiting inside the handler", false, "operation has timed out", time.Second},
		{"waiting in a goroutine", true, "[5]", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, p, s := connected(t, Options{})
				start := time.Now()
				res := make(chan string, 1)
				ask := func() {
					reply, err := s.Timeout(time.Second).EmitWithAck(context.Background(), "rate-us")
					if err != nil {
						res <- err.Error()
						return
					}
					res <- fmt.Sprintf("%s", reply.Args)
				}
				s.On("ask", func(e *Event) {
					if tt.goroutine {
						go ask()
						return
					}
					ask()
				})
				// The client's reader: one frame at a time, as a transport delivers them.
				frames := make(chan string, 2)
				go func() {
					for f := range frames {
						p.send(f)
					}
				}()
				defer close(frames)
				frames <- `2["ask"]`
				synctest.Wait()
				if got, want := p.take(), []string{`20["rate-us"]`}; !slices.Equal(got, want) {
					t.Fatalf("sent %q, want %q", got, want)
				}
				frames <- `30[5]` // the client answers at once
				if got, at := <-res, time.Since(start); got != tt.want || at != tt.wantAt {
					t.Errorf("got %s after %v, want %s after %v", got, at, tt.want, tt.wantAt)
				}
			})
		})
	}
}

// TestEmitWithAckFuncWhileDisconnecting: once the socket is disconnecting, EmitWithAckFunc sends
// nothing, returns ErrDisconnected and never calls done (lesson 10: the job stays queued).
func TestEmitWithAckFuncWhileDisconnecting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, p, s := connected(t, Options{})
		var err error
		calls := 0
		s.OnDisconnecting(func(string) {
			err = s.Timeout(time.Second).EmitWithAckFunc("job", func(Payload, error) { calls++ }, 1)
		})
		p.send("1")
		time.Sleep(2 * time.Second) // past the timeout a registered ack would have
		synctest.Wait()
		if !errors.Is(err, ErrDisconnected) || calls != 0 {
			t.Errorf("got %v and %d done calls, want %v and none", err, calls, ErrDisconnected)
		}
		if got := p.take(); len(got) != 0 {
			t.Errorf("sent %q, want nothing", got)
		}
	})
}
