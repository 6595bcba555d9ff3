package playground

import (
	"errors"
	"testing"
	"time"
)

// TestInstanceShares: one client address cannot take every demo instance (its share and its
// creation rate), other addresses keep theirs, classes (reserved instances) have a pool of their
// own that demos never reach, and every count comes back when instances close or are swept.
func TestInstanceShares(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	r := NewRegistry(Options{MaxInstances: 10, InstancesPerAddress: 6, CreateRate: 1, CreateBurst: 5,
		MaxReserved: 2, ReservedPerAddress: 1, IdleTimeout: time.Minute, now: func() time.Time { return now }})
	defer r.Close()
	attacker, student, other := Client{Addr: "198.51.100.7"}, Client{Addr: "203.0.113.1"}, Client{Addr: "192.0.2.9"}
	demo := func(c Client) error { _, err := r.CreateFor(c, "chat", &DemoConfig{}); return err }
	class := func(c Client) (*Instance, error) {
		return r.Open(Spec{Demo: "class", Private: true, Client: c, Reserve: 20, ReservePerAddress: 5})
	}

	tests := []struct {
		name string
		step func() error
		want error
	}{
		{"the attacker's burst", func() error {
			for range 5 {
				if err := demo(attacker); err != nil {
					return err
				}
			}
			return nil
		}, nil},
		{"past its creation rate", func() error { return demo(attacker) }, ErrTooFast},
		{"a second later", func() error { now = now.Add(time.Second); return demo(attacker) }, nil},
		{"past its share", func() error { now = now.Add(time.Minute / 2); return demo(attacker) }, ErrClientFull},
		{"another address meanwhile", func() error { return demo(student) }, nil},
		{"a class while demos are held", func() error { _, err := class(student); return err }, nil},
		{"one class per address", func() error { _, err := class(student); return err }, ErrClientFull},
		{"demos fill the server", func() error {
			for range 3 {
				if err := demo(other); err != nil {
					return err
				}
			}
			return demo(other)
		}, ErrFull},
		{"a class still opens", func() error { _, err := class(attacker); return err }, nil},
		{"the class pool is capped", func() error { _, err := class(other); return err }, ErrFull},
	}
	for _, tt := range tests {
		if err := tt.step(); !errors.Is(err, tt.want) {
			t.Fatalf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if got := r.Held(attacker, false); got != 6 {
		t.Errorf("attacker holds %d demos, want 6", got)
	}
	// Idle instances are swept and their places come back to their clients.
	now = now.Add(2 * time.Minute)
	r.Sweep()
	if got := r.Held(attacker, false) + r.Held(attacker, true) + r.Held(student, true); got != 0 {
		t.Errorf("after the sweep: %d instances still counted", got)
	}
	if err := demo(attacker); err != nil {
		t.Errorf("after the sweep: %v", err)
	}
	in, err := class(other)
	if err != nil {
		t.Fatalf("a class after the sweep: %v", err)
	}
	in.Close()
	if got := r.Held(other, true); got != 0 {
		t.Errorf("a closed class still counted: %d", got)
	}
}

// TestReservedSessionsComeBack: a class's reserved sessions go back to the pool when it closes,
// and a class the pool has no room for is refused before anything is built.
func TestReservedSessionsComeBack(t *testing.T) {
	r := NewRegistry(Options{})
	defer r.Close()
	open := func() (*Instance, error) {
		return r.Open(Spec{Demo: "class", Private: true, Client: Client{Addr: "203.0.113.1"}, Reserve: DefaultReservedSessions / 2})
	}
	a, err := open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(); err != nil {
		t.Fatal(err)
	}
	if _, err := open(); !errors.Is(err, ErrFull) {
		t.Fatalf("a third half of the pool: %v, want ErrFull", err)
	}
	a.Close()
	if _, err := open(); err != nil {
		t.Fatalf("after a class closed: %v", err)
	}
}
