package engineio

import (
	"testing"
	"testing/synctest"
)

// TestGoGroupStartDuringWait: a goroutine started from zero while Wait waits (a parked
// connection's writer kicked by a heartbeat as Close begins) is waited for too, with no race.
func TestGoGroupStartDuringWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g goGroup
		release := make(chan struct{})
		g.Go(func() { <-release })
		waited := make(chan struct{})
		go func() {
			g.Wait()
			close(waited)
		}()
		synctest.Wait() // Wait is blocked on the first goroutine
		late := make(chan struct{})
		g.Go(func() { <-late })
		close(release)
		synctest.Wait()
		select {
		case <-waited:
			t.Fatal("Wait returned while a goroutine started during it was running")
		default:
		}
		close(late)
		synctest.Wait()
		select {
		case <-waited:
		default:
			t.Fatal("Wait did not return once every goroutine had ended")
		}
		g.Wait() // from zero: returns at once
	})
}
