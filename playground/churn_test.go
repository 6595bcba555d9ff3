package playground

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestChurnThroughTheHub is reliability.md T42 at test size: cycles of connect → join → emit →
// one of the ways a connection ends (a clean namespace disconnect, a dropped TCP connection, a
// protocol violation, a refused namespace), 20 at a time, through the whole hub (Engine.IO,
// Socket.IO, rooms). Afterwards nothing is left: no session, no socket, no room member, and
// (goleak, in TestMain) no goroutine.
func TestChurnThroughTheHub(t *testing.T) {
	const cycles, parallel = 400, 20
	b := NewBenchServer(slog.New(slog.DiscardHandler), nil)
	ts := httptest.NewServer(b)
	defer ts.Close()
	defer b.Close()
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"

	cycle := func(i int) error {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			return fmt.Errorf("dial: %w", err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		read := func(prefix string) error {
			for {
				_, m, err := c.ReadMessage()
				if err != nil {
					return fmt.Errorf("waiting for %q: %w", prefix, err)
				}
				if string(m) == "2" {
					c.WriteMessage(websocket.TextMessage, []byte("3"))
					continue
				}
				if strings.HasPrefix(string(m), prefix) {
					return nil
				}
			}
		}
		send := func(m string) { c.WriteMessage(websocket.TextMessage, []byte(m)) }
		if err := read("0{"); err != nil {
			return err
		}
		send("40")
		if err := read("40{"); err != nil {
			return err
		}
		send(`421["join","churn"]`)
		if err := read("431["); err != nil {
			return err
		}
		send(`42["fanout","churn","x"]`)
		switch i % 4 {
		case 0: // a clean goodbye: DISCONNECT, then the close packet
			send("41")
			send("1")
		case 1: // the network drops
			c.NetConn().Close()
		case 2: // a malformed packet: the server closes the session
			send("4{not a packet")
			var ce *websocket.CloseError
			if err := read("\x00never"); !errors.As(err, &ce) {
				// A read that times out means the session survived the malformed packet.
				return fmt.Errorf("after a malformed packet: want a close frame, got %v", err)
			}
		case 3: // a namespace that does not exist is refused, then the client leaves
			send("40/nope,")
			if err := read("44/nope,"); err != nil {
				return err
			}
			c.NetConn().Close()
		}
		return nil
	}

	var wg sync.WaitGroup
	errs := make(chan error, cycles)
	next := make(chan int)
	for range parallel {
		wg.Go(func() {
			for i := range next {
				if err := cycle(i); err != nil {
					errs <- fmt.Errorf("cycle %d: %w", i, err)
				}
			}
		})
	}
	for i := range cycles {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// Every end is seen by the server; poll, bounded, for the last ones to be processed.
	left := func() string {
		return fmt.Sprintf("sessions %d, sockets on / %d and /ns %d, members of the room %d",
			b.hub.Engine.SessionCount(), len(b.hub.IO.Of("/").FetchSockets()), len(b.hub.IO.Of("/ns").FetchSockets()),
			len(b.hub.IO.Of("/").In("churn").FetchSockets()))
	}
	const want = "sessions 0, sockets on / 0 and /ns 0, members of the room 0"
	deadline := time.Now().Add(10 * time.Second)
	for left() != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := left(); got != want {
		t.Errorf("after %d cycles: %s, want %s", cycles, got, want)
	}
}
