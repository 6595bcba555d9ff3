// Package stream is the one fan-out of the server: a Topic hands each published value to every
// subscriber without ever waiting for one, and ServeSSE writes a subscription to a browser as
// Server-Sent Events. A demo's tap (what its hub sees) and serve -watch's live reload both use
// it. It imports only the standard library.
package stream

import (
	"errors"
	"sync"
)

// Event is one value of a Topic. ID is its place in the topic's history (1, 2, 3, ...), sent to
// browsers as the SSE "id:" line, which EventSource sends back as Last-Event-ID when it
// reconnects; 0 for a value that is not kept (Topic.Send, or a Topic without history).
type Event[T any] struct {
	ID    uint64
	Value T
}

// Options size a Topic.
type Options struct {
	// Buffer is each subscriber's queue. A subscriber whose queue is full when a value comes is
	// dropped (its channel closed): a slow reader never holds up the publisher or the others.
	Buffer int
	// History is how many published values a Topic keeps for late subscribers (0: none).
	History int
	// HistoryBytes bounds the kept values' total length, for a Topic of []byte or string
	// values (0: no bound): the oldest go first, and a value longer than the bound is not kept.
	HistoryBytes int
}

// ErrClosed is returned by Subscribe on a closed Topic.
var ErrClosed = errors.New("stream closed")

// Topic fans values out to its subscribers. It is safe for concurrent use, and its methods
// never block on a subscriber.
type Topic[T any] struct {
	opts    Options
	mu      sync.Mutex
	subs    map[chan Event[T]]struct{}
	seq     uint64     // id of the last published value
	history []Event[T] // the last opts.History published values, oldest first
	histLen int        // their total length (sizeOf), at most opts.HistoryBytes when that is set
	closed  bool
}

// New returns an open Topic.
func New[T any](opts Options) *Topic[T] {
	opts.Buffer = max(opts.Buffer, 1)
	return &Topic[T]{opts: opts, subs: map[chan Event[T]]struct{}{}}
}

// Publish sends v to every subscriber and, when the topic keeps a history, gives it the next id
// and keeps it.
func (t *Topic[T]) Publish(v T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	ev := Event[T]{Value: v}
	if t.opts.History > 0 {
		t.seq++
		ev.ID = t.seq
		n := sizeOf(v)
		if b := t.opts.HistoryBytes; b > 0 && n > b {
			n = -1 // kept by nobody, and it evicts nothing
		}
		for len(t.history) > 0 && n >= 0 && (len(t.history) == t.opts.History || t.opts.HistoryBytes > 0 && t.histLen+n > t.opts.HistoryBytes) {
			t.histLen -= sizeOf(t.history[0].Value)
			clear(t.history[:1])      // the dropped value is not kept alive by the array
			t.history = t.history[1:] // append reallocates now and then; the old array is freed
		}
		if n >= 0 {
			t.history = append(t.history, ev)
			t.histLen += n
		}
	}
	t.sendLocked(ev)
}

// Send hands v to the subscribers there are now, without an id and without keeping it: for a
// snapshot that a later one is given afresh.
func (t *Topic[T]) Send(v T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.sendLocked(Event[T]{Value: v})
	}
}

// sizeOf is v's length for Options.HistoryBytes: a []byte's or a string's, else 0.
func sizeOf[T any](v T) int {
	switch x := any(v).(type) {
	case []byte:
		return len(x)
	case string:
		return len(x)
	}
	return 0
}

// HistoryBytes is the kept values' total length (Options.HistoryBytes).
func (t *Topic[T]) HistoryBytes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.histLen
}

func (t *Topic[T]) sendLocked(ev Event[T]) {
	for c := range t.subs {
		select {
		case c <- ev:
		default:
			delete(t.subs, c)
			close(c)
		}
	}
}

// Subscribe returns a channel of the topic's values, starting with first (sent without ids) and
// then the kept values with an id above after (0: all of them), and the function that ends the
// subscription (it may be called more than once). The channel is closed when the subscription
// ends, the subscriber is dropped, or the topic closes.
func (t *Topic[T]) Subscribe(after uint64, first ...T) (<-chan Event[T], func(), error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, nil, ErrClosed
	}
	var replay []Event[T]
	for _, ev := range t.history {
		if ev.ID > after {
			replay = append(replay, ev)
		}
	}
	c := make(chan Event[T], max(t.opts.Buffer, len(first)+len(replay)))
	for _, v := range first {
		c <- Event[T]{Value: v}
	}
	for _, ev := range replay {
		c <- ev
	}
	t.subs[c] = struct{}{}
	return c, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if _, ok := t.subs[c]; ok {
			delete(t.subs, c)
			close(c)
		}
	}, nil
}

// Len is the number of subscribers.
func (t *Topic[T]) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.subs)
}

// Close ends every subscription; later Subscribes fail and Publish and Send do nothing. It may be
// called more than once.
func (t *Topic[T]) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.closed = true
	for c := range t.subs {
		delete(t.subs, c)
		close(c)
	}
	t.history, t.histLen = nil, 0
}
