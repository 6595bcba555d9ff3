// Package redisadapter shares Socket.IO namespaces between servers over Redis pub/sub, speaking
// the classic @socket.io/redis-adapter 8.x protocol byte for byte, so Socket Lab processes and
// Node socket.io servers with that adapter form one cluster.
//
// Redis pub/sub is at-most-once: a message published while Redis is unreachable, or while a
// server is disconnected from it, is lost, never replayed. The adapter counts such messages
// (Stats.Lost) and logs the outage; subscriptions come back on their own when Redis does.
package redisadapter

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"socketlab/playground/socketio"
)

// Options configures the adapter. Zero values take the defaults in brackets.
type Options struct {
	// Key prefixes every channel, like the Node adapter's `key` option ["socket.io"].
	Key string
	// RequestsTimeout bounds fetchSockets, allRooms and serverSideEmitWithAck [5s].
	RequestsTimeout time.Duration
	// MaxPendingRequests caps the requests and broadcast acks awaiting answers [1024].
	MaxPendingRequests int
	// QueueSize caps the messages waiting to be published; beyond it they are dropped and
	// counted as lost, so an emit never waits for Redis [8192].
	QueueSize int
	Logger    *slog.Logger // nil discards
}

func (o *Options) defaults() {
	if o.Key == "" {
		o.Key = "socket.io"
	}
	if o.RequestsTimeout <= 0 {
		o.RequestsTimeout = 5 * time.Second
	}
	if o.MaxPendingRequests <= 0 {
		o.MaxPendingRequests = 1024
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 8192
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Errors.
var (
	// ErrRequestTimeout: some servers did not answer a request in time.
	ErrRequestTimeout = errors.New("redisadapter: timeout reached")
	// ErrTooManyRequests: MaxPendingRequests requests are already waiting.
	ErrTooManyRequests = errors.New("redisadapter: too many pending requests")
	// ErrClosed: the adapter was closed.
	ErrClosed = errors.New("redisadapter: closed")
)

// Stats counts messages; all pub/sub losses show up in Lost.
type Stats struct {
	Published  uint64 // messages published
	Lost       uint64 // messages not published: Redis unreachable, queue full or closed
	Received   uint64 // messages received from other servers
	Malformed  uint64 // messages ignored because they could not be decoded
	Reconnects uint64 // times the subscriber connection came back after an outage
}

// Redis connects servers' namespaces through one Redis server: one connection publishes, one
// subscribes (like the Node adapter's pubClient and subClient). Make one per socketio.Server and
// pass its Adapter method as socketio.Options.Adapter.
type Redis struct {
	opts   Options
	log    *slog.Logger
	client *redis.Client
	ps     *redis.PubSub
	out    chan outMsg
	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool

	published, lost, received, malformed, reconnects atomic.Uint64

	mu        sync.Mutex
	patterns  map[string]*nsAdapter // "<key>#<nsp>#*" → adapter
	channels  map[string]*nsAdapter // request and response channels → adapter
	refs      map[string]int        // subscriptions per channel or pattern
	pending   int                   // requests and ack requests awaiting answers
	confirmed map[string]bool       // subscriptions Redis confirmed on the current connection
	up        bool                  // the subscriber connection works
	readyCh   chan struct{}         // closed while up and every subscription is confirmed
	ready     bool
	everUp    bool
}

type outMsg struct {
	channel string
	payload []byte
	flushed chan struct{} // a Flush marker, not a message
}

// New connects to the Redis server at url ("redis://127.0.0.1:6379/0") and checks it answers.
func New(ctx context.Context, url string, opts Options) (*Redis, error) {
	opts.defaults()
	ro, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis URL: %w", err)
	}
	ro.DisableIdentity = true // no CLIENT SETINFO: older servers answer it with an error
	client := redis.NewClient(ro)
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redis at %s: %w", ro.Addr, err)
	}
	r := &Redis{
		opts:      opts,
		log:       opts.Logger.With("redis", ro.Addr),
		client:    client,
		ps:        client.Subscribe(context.Background()),
		out:       make(chan outMsg, opts.QueueSize),
		patterns:  map[string]*nsAdapter{},
		channels:  map[string]*nsAdapter{},
		refs:      map[string]int{},
		confirmed: map[string]bool{},
		readyCh:   make(chan struct{}),
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.wg.Add(2)
	go r.publisher()
	go r.receiver()
	return r, nil
}

// Close stops publishing and subscribing and closes the connections. Messages still queued are
// counted as lost.
func (r *Redis) Close() error {
	if !r.closed.CompareAndSwap(false, true) {
		return nil
	}
	r.cancel()
	err := r.ps.Close()
	r.wg.Wait()
	for {
		select {
		case m := <-r.out:
			if m.flushed != nil {
				close(m.flushed)
			} else {
				r.lost.Add(1)
			}
			continue
		default:
		}
		break
	}
	return errors.Join(err, r.client.Close())
}

// Stats returns the counters.
func (r *Redis) Stats() Stats {
	return Stats{Published: r.published.Load(), Lost: r.lost.Load(), Received: r.received.Load(),
		Malformed: r.malformed.Load(), Reconnects: r.reconnects.Load()}
}

// Flush waits until every message queued before it was published or counted as lost.
func (r *Redis) Flush(ctx context.Context) error {
	m := outMsg{flushed: make(chan struct{})}
	select {
	case r.out <- m:
	case <-ctx.Done():
		return ctx.Err()
	case <-r.ctx.Done():
		return ErrClosed
	}
	select {
	case <-m.flushed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ready waits until Redis confirmed every subscription of the adapters made so far (again,
// after an outage): from then on other servers count this one and reach it.
func (r *Redis) Ready(ctx context.Context) error {
	r.mu.Lock()
	ch := r.readyCh
	r.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-r.ctx.Done():
		return ErrClosed
	}
}

// enqueue publishes later, in order; it never waits.
func (r *Redis) enqueue(channel string, payload []byte) {
	if r.closed.Load() {
		r.lost.Add(1)
		return
	}
	select {
	case r.out <- outMsg{channel: channel, payload: payload}:
	default:
		if n := r.lost.Add(1); n&(n-1) == 0 { // at powers of two: a burst logs a few lines
			r.log.Warn("redis adapter queue full: message dropped", "channel", channel, "lost", n)
		}
	}
}

const maxBatch = 256

// publisher publishes queued messages in pipelined batches, in order.
func (r *Redis) publisher() {
	defer r.wg.Done()
	batch := make([]outMsg, 0, maxBatch)
	down, lostWhileDown := false, 0
	for {
		batch = batch[:0]
		select {
		case m := <-r.out:
			batch = append(batch, m)
		case <-r.ctx.Done():
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case m := <-r.out:
				batch = append(batch, m)
			default:
				break drain
			}
		}
		ok, failed, firstErr := r.publishBatch(batch)
		switch {
		case failed > 0 && !down:
			down = true
			lostWhileDown = failed
			r.log.Warn("redis unreachable: broadcasts to other servers are lost until it is back (pub/sub is at-most-once)", "err", firstErr, "lost", failed)
		case failed > 0:
			lostWhileDown += failed
		case ok > 0 && down:
			down = false
			r.log.Warn("redis reachable again", "lost_while_down", lostWhileDown)
		}
		for _, m := range batch {
			if m.flushed != nil {
				close(m.flushed)
			}
		}
	}
}

func (r *Redis) publishBatch(batch []outMsg) (ok, failed int, firstErr error) {
	pipe := r.client.Pipeline()
	for _, m := range batch {
		if m.flushed == nil {
			pipe.Publish(r.ctx, m.channel, m.payload)
		}
	}
	if pipe.Len() == 0 {
		return 0, 0, nil
	}
	cmds, _ := pipe.Exec(r.ctx)
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
		} else {
			ok++
		}
	}
	r.published.Add(uint64(ok))
	r.lost.Add(uint64(failed))
	return ok, failed, firstErr
}

// receiver reads the subscriber connection; go-redis reconnects and resubscribes on the next
// read after an error, so the loop only waits a little between failed attempts.
func (r *Redis) receiver() {
	defer r.wg.Done()
	backoff := 50 * time.Millisecond
	for {
		msg, err := r.ps.Receive(r.ctx)
		if r.ctx.Err() != nil {
			return
		}
		if err != nil {
			if r.setUp(false) {
				r.log.Warn("redis subscriber disconnected; retrying", "err", err)
			}
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-r.ctx.Done():
				t.Stop()
				return
			}
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if r.setUp(true) {
				r.log.Info("redis subscriber connected")
			}
			r.mu.Lock()
			switch m.Kind {
			case "subscribe", "psubscribe":
				r.confirmed[m.Channel] = true
			default:
				delete(r.confirmed, m.Channel)
			}
			r.updateReadyLocked()
			r.mu.Unlock()
		case *redis.Message:
			r.dispatch(m)
		}
	}
}

// setUp records the subscriber connection's state and reports whether it changed.
func (r *Redis) setUp(up bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.up == up {
		return false
	}
	r.up = up
	if up {
		if r.everUp {
			r.reconnects.Add(1)
		}
		r.everUp = true
	} else {
		clear(r.confirmed) // a new connection subscribes again
	}
	r.updateReadyLocked()
	return true
}

// updateReadyLocked opens or closes readyCh.
func (r *Redis) updateReadyLocked() {
	ready := r.up
	for name := range r.refs {
		ready = ready && r.confirmed[name]
	}
	switch {
	case ready && !r.ready:
		close(r.readyCh)
	case !ready && r.ready:
		r.readyCh = make(chan struct{})
	}
	r.ready = ready
}

func (r *Redis) dispatch(m *redis.Message) {
	r.mu.Lock()
	var a *nsAdapter
	if m.Pattern != "" {
		a = r.patterns[m.Pattern]
	} else {
		a = r.channels[m.Channel]
	}
	r.mu.Unlock()
	if a == nil {
		return
	}
	if m.Pattern != "" {
		a.onMessage(m.Channel, []byte(m.Payload))
	} else {
		a.onRequest(m.Channel, []byte(m.Payload))
	}
}

// subscribe adds channels and patterns for a; refs keep a recreated namespace subscribed while
// its predecessor unsubscribes.
func (r *Redis) subscribe(a *nsAdapter) {
	r.mu.Lock()
	pattern := a.channel + "*"
	chans := []string{a.requestChannel, a.responseChannel, a.specificResponseChannel}
	r.patterns[pattern] = a
	var newPat bool
	if r.refs[pattern]++; r.refs[pattern] == 1 {
		newPat = true
	}
	var newChans []string
	for _, c := range chans {
		r.channels[c] = a
		if r.refs[c]++; r.refs[c] == 1 {
			newChans = append(newChans, c)
		}
	}
	r.updateReadyLocked()
	r.mu.Unlock()
	// The subscriptions are recorded even when Redis is down, and sent again on reconnection.
	if newPat {
		if err := r.ps.PSubscribe(r.ctx, pattern); err != nil {
			r.log.Warn("psubscribe", "pattern", pattern, "err", err)
		}
	}
	if len(newChans) > 0 {
		if err := r.ps.Subscribe(r.ctx, newChans...); err != nil {
			r.log.Warn("subscribe", "channels", newChans, "err", err)
		}
	}
}

func (r *Redis) unsubscribe(a *nsAdapter) {
	r.mu.Lock()
	pattern := a.channel + "*"
	var oldPat bool
	if r.patterns[pattern] == a {
		delete(r.patterns, pattern)
	}
	if r.refs[pattern]--; r.refs[pattern] == 0 {
		delete(r.refs, pattern)
		oldPat = true
	}
	var oldChans []string
	for _, c := range []string{a.requestChannel, a.responseChannel, a.specificResponseChannel} {
		if r.channels[c] == a {
			delete(r.channels, c)
		}
		if r.refs[c]--; r.refs[c] == 0 {
			delete(r.refs, c)
			oldChans = append(oldChans, c)
		}
	}
	r.updateReadyLocked()
	r.mu.Unlock()
	if r.closed.Load() {
		return
	}
	if oldPat {
		_ = r.ps.PUnsubscribe(r.ctx, pattern)
	}
	if len(oldChans) > 0 {
		_ = r.ps.Unsubscribe(r.ctx, oldChans...)
	}
}

// reserve counts one more pending request, within MaxPendingRequests.
func (r *Redis) reserve() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending >= r.opts.MaxPendingRequests {
		return ErrTooManyRequests
	}
	r.pending++
	return nil
}

func (r *Redis) release() {
	r.mu.Lock()
	r.pending--
	r.mu.Unlock()
}

// Pending is the number of requests awaiting answers (bounded by MaxPendingRequests).
func (r *Redis) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending
}

// Adapter makes the adapter of one namespace under Options.Key; pass it as
// socketio.Options.Adapter.
func (r *Redis) Adapter(l socketio.LocalNamespace) socketio.Adapter {
	return r.newAdapter(r.opts.Key, l)
}

// Factory returns an adapter factory under another key: hubs of one process that must not mix
// share this Redis under different keys.
func (r *Redis) Factory(key string) socketio.AdapterFactory {
	return func(l socketio.LocalNamespace) socketio.Adapter { return r.newAdapter(key, l) }
}

func (r *Redis) newAdapter(key string, l socketio.LocalNamespace) socketio.Adapter {
	a := &nsAdapter{
		r:           r,
		local:       l,
		uid:         randomID(),
		requests:    map[string]*pendingRequest{},
		ackRequests: map[string]*ackRequest{},
	}
	nsp := l.Name()
	a.channel = key + "#" + nsp + "#"
	a.requestChannel = key + "-request#" + nsp + "#"
	a.responseChannel = key + "-response#" + nsp + "#"
	a.specificResponseChannel = a.responseChannel + a.uid + "#"
	if !r.closed.Load() {
		r.subscribe(a)
	}
	return a
}

// randomID is uid2(6): six characters of [A-Za-z0-9].
func randomID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// nsAdapter is one namespace's adapter (the Node RedisAdapter instance).
type nsAdapter struct {
	r     *Redis
	local socketio.LocalNamespace
	uid   string

	channel, requestChannel, responseChannel, specificResponseChannel string

	mu          sync.Mutex
	closed      bool
	requests    map[string]*pendingRequest
	ackRequests map[string]*ackRequest
}

type pendingRequest struct {
	typ     int
	want    int // answers expected
	got     int
	sockets []socketio.RemoteSocket
	rooms   []string
	replies []json.RawMessage
	done    chan struct{} // closed when got == want
}

type ackRequest struct {
	onCount func(int)
	onAck   func(json.RawMessage)
}

var _ socketio.Adapter = (*nsAdapter)(nil)

// broadcastChannel is the channel of a broadcast: the room's own when it targets exactly one.
func (a *nsAdapter) broadcastChannel(opts socketio.BroadcastOptions) string {
	if len(opts.Rooms) == 1 {
		return a.channel + opts.Rooms[0] + "#"
	}
	return a.channel
}

func (a *nsAdapter) Broadcast(ev socketio.EventData, opts socketio.BroadcastOptions) {
	msg, err := encodeBroadcast(a.uid, a.local.Name(), ev, opts)
	if err != nil {
		a.r.log.Warn("broadcast not published", "nsp", a.local.Name(), "err", err)
		return
	}
	a.r.enqueue(a.broadcastChannel(opts), msg)
}

func (a *nsAdapter) BroadcastWithAck(ev socketio.EventData, opts socketio.BroadcastOptions, onCount func(int), onAck func(json.RawMessage)) {
	id := randomID()
	msg, err := encodeBroadcastRequest(a.uid, id, a.local.Name(), ev, opts)
	if err != nil {
		a.r.log.Warn("broadcast with ack not published", "nsp", a.local.Name(), "err", err)
		return
	}
	if err := a.r.reserve(); err != nil {
		a.r.lost.Add(1)
		a.r.log.Warn("broadcast with ack not published", "nsp", a.local.Name(), "err", err)
		return
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		a.r.release()
		return
	}
	a.ackRequests[id] = &ackRequest{onCount: onCount, onAck: onAck}
	a.mu.Unlock()
	// Like the Node adapter, nothing tells when every client answered: forget the request once
	// the emit's own timeout has passed.
	time.AfterFunc(opts.Flags.Timeout, func() {
		a.mu.Lock()
		_, ok := a.ackRequests[id]
		delete(a.ackRequests, id)
		a.mu.Unlock()
		if ok {
			a.r.release()
		}
	})
	a.r.enqueue(a.requestChannel, msg)
}

func (a *nsAdapter) publishJSON(channel string, v any) {
	b, err := marshal(v)
	if err != nil {
		a.r.log.Warn("message not published", "nsp", a.local.Name(), "err", err)
		return
	}
	a.r.enqueue(channel, b)
}

func (a *nsAdapter) AddSockets(opts socketio.BroadcastOptions, rooms []string) {
	a.publishJSON(a.requestChannel, roomsRequest{UID: a.uid, Type: typeRemoteJoin, Opts: toWireOpts(opts), Rooms: nonNil(rooms)})
}

func (a *nsAdapter) DelSockets(opts socketio.BroadcastOptions, rooms []string) {
	a.publishJSON(a.requestChannel, roomsRequest{UID: a.uid, Type: typeRemoteLeave, Opts: toWireOpts(opts), Rooms: nonNil(rooms)})
}

func (a *nsAdapter) DisconnectSockets(opts socketio.BroadcastOptions, close bool) {
	a.publishJSON(a.requestChannel, disconnectRequest{UID: a.uid, Type: typeRemoteDisconnect, Opts: toWireOpts(opts), Close: close})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (a *nsAdapter) ServerSideEmit(data json.RawMessage) error {
	a.publishJSON(a.requestChannel, serverSideRequest{UID: a.uid, Type: typeServerSideEmit, Data: data})
	return nil
}

func (a *nsAdapter) ServerCount(ctx context.Context) (int, error) {
	m, err := a.r.client.PubSubNumSub(ctx, a.requestChannel).Result()
	if err != nil {
		return 0, fmt.Errorf("redis PUBSUB NUMSUB: %w", err)
	}
	return int(m[a.requestChannel]), nil
}

// request publishes a request expecting one answer from each of want servers and waits.
func (a *nsAdapter) request(ctx context.Context, what string, typ, want int, build func(id string) any) (*pendingRequest, error) {
	if err := a.r.reserve(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer a.r.release()
	id := randomID()
	p := &pendingRequest{typ: typ, want: want, done: make(chan struct{})}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, ErrClosed
	}
	a.requests[id] = p
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.requests, id)
		a.mu.Unlock()
	}()
	b, err := marshal(build(id))
	if err != nil {
		return nil, err
	}
	a.r.enqueue(a.requestChannel, b) // in order with the emits before it
	t := time.NewTimer(a.r.opts.RequestsTimeout)
	defer t.Stop()
	select {
	case <-p.done:
		return p, nil
	case <-t.C:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", what, ctx.Err())
	}
	a.mu.Lock()
	got := p.got
	a.mu.Unlock()
	return p, fmt.Errorf("%w while waiting for %s response: %d of %d servers answered within %v",
		ErrRequestTimeout, what, got, want, a.r.opts.RequestsTimeout)
}

func (a *nsAdapter) FetchSockets(ctx context.Context, opts socketio.BroadcastOptions) ([]socketio.RemoteSocket, error) {
	n, err := a.ServerCount(ctx)
	if err != nil || n <= 1 {
		return nil, err
	}
	p, err := a.request(ctx, "fetchSockets", typeRemoteFetch, n-1, func(id string) any {
		return fetchRequest{UID: a.uid, RequestID: id, Type: typeRemoteFetch, Opts: toWireOpts(opts)}
	})
	if err != nil {
		return nil, err
	}
	return p.sockets, nil
}

func (a *nsAdapter) AllRooms(ctx context.Context) ([]string, error) {
	n, err := a.ServerCount(ctx)
	if err != nil || n <= 1 {
		return nil, err
	}
	p, err := a.request(ctx, "allRooms", typeAllRooms, n-1, func(id string) any {
		return allRoomsRequest{UID: a.uid, RequestID: id, Type: typeAllRooms}
	})
	if err != nil {
		return nil, err
	}
	return p.rooms, nil
}

func (a *nsAdapter) ServerSideEmitWithAck(ctx context.Context, data json.RawMessage) ([]json.RawMessage, error) {
	n, err := a.ServerCount(ctx)
	if err != nil || n <= 1 {
		return nil, err
	}
	p, err := a.request(ctx, "serverSideEmit", typeServerSideEmit, n-1, func(id string) any {
		return serverSideRequest{UID: a.uid, RequestID: id, Type: typeServerSideEmit, Data: data}
	})
	if errors.Is(err, ErrRequestTimeout) {
		return p.replies, fmt.Errorf("%w: %w", socketio.ErrServerSideAck, err)
	}
	if err != nil {
		return nil, err
	}
	return p.replies, nil
}

func (a *nsAdapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	acks := len(a.ackRequests)
	a.ackRequests = map[string]*ackRequest{}
	a.mu.Unlock()
	for range acks {
		a.r.release()
	}
	a.r.unsubscribe(a)
	return nil
}

// onMessage handles a broadcast from another server.
func (a *nsAdapter) onMessage(channel string, msg []byte) {
	if !strings.HasPrefix(channel, a.channel) {
		return
	}
	if room := strings.TrimSuffix(channel[len(a.channel):], "#"); room != "" && !a.local.HasRoom(room) {
		return // nobody here is in the room: not even decoded
	}
	in, err := decodeBroadcast(msg)
	if err != nil {
		a.malformed(channel, err)
		return
	}
	if in.uid == a.uid || in.nsp != a.local.Name() {
		return
	}
	a.r.received.Add(1)
	if err := a.local.Broadcast(in.ev, in.opts); err != nil {
		a.malformed(channel, err)
	}
}

func (a *nsAdapter) malformed(channel string, err error) {
	a.r.malformed.Add(1)
	a.r.log.Debug("ignoring a malformed message", "channel", channel, "err", err)
}

// onRequest handles a request or a response.
func (a *nsAdapter) onRequest(channel string, msg []byte) {
	if strings.HasPrefix(channel, a.responseChannel) {
		a.onResponse(channel, msg)
		return
	}
	req, err := decodeMessage(msg)
	if err != nil {
		a.malformed(channel, err)
		return
	}
	if req.UID == a.uid {
		return // our own request: already applied here
	}
	a.r.received.Add(1)
	opts := socketio.BroadcastOptions{}
	if req.Opts != nil {
		opts = req.Opts.options()
	}
	switch req.Type {
	case typeSockets:
		var ids []string
		for _, s := range a.local.FetchSockets(socketio.BroadcastOptions{Rooms: req.Rooms}) {
			ids = append(ids, s.ID)
		}
		a.publishJSON(a.responseChannel, socketsResponse{RequestID: req.RequestID, Sockets: nonNil(ids)})
	case typeAllRooms:
		a.publishJSON(a.responseChannel, allRoomsResponse{RequestID: req.RequestID, Rooms: nonNil(a.local.Rooms())})
	case typeRemoteJoin, typeRemoteLeave:
		if req.Opts == nil { // by socket id, from older adapters
			opts = socketio.BroadcastOptions{Rooms: []string{req.Sid}}
			req.Rooms = []string{req.Room}
		}
		if req.Type == typeRemoteJoin {
			a.local.AddSockets(opts, req.Rooms)
		} else {
			a.local.DelSockets(opts, req.Rooms)
		}
		if req.Opts == nil {
			a.publishJSON(a.responseChannel, doneResponse{RequestID: req.RequestID})
		}
	case typeRemoteDisconnect:
		if req.Opts == nil {
			opts = socketio.BroadcastOptions{Rooms: []string{req.Sid}}
		}
		a.local.DisconnectSockets(opts, req.Close)
		if req.Opts == nil {
			a.publishJSON(a.responseChannel, doneResponse{RequestID: req.RequestID})
		}
	case typeRemoteFetch:
		a.publishJSON(a.responseChannel, fetchResponse{RequestID: req.RequestID, Sockets: a.local.FetchSockets(opts)})
	case typeServerSideEmit:
		var ack func(json.RawMessage)
		if req.RequestID != "" {
			id := req.RequestID
			ack = func(reply json.RawMessage) {
				a.publishJSON(a.responseChannel, serverSideResponse{Type: typeServerSideEmit, RequestID: id, Data: reply})
			}
		}
		if err := a.local.ServerSideEmit(req.Data, ack); err != nil {
			a.malformed(channel, err)
		}
	case typeBroadcast:
		if req.Broadcast == nil || req.Broadcast.nsp != a.local.Name() {
			a.malformed(channel, errors.New("BROADCAST request without a packet for this namespace"))
			return
		}
		in := req.Broadcast
		id := req.RequestID
		n, err := a.local.BroadcastWithAck(in.ev, in.opts, func(reply json.RawMessage) {
			b, err := encodeBroadcastAck(id, reply)
			if err != nil {
				a.r.log.Warn("ack not published", "nsp", a.local.Name(), "err", err)
				return
			}
			a.r.enqueue(a.responseChannel, b)
		})
		if err != nil {
			a.malformed(channel, err)
			return
		}
		a.publishJSON(a.responseChannel, clientCountResponse{Type: typeBroadcastClientCount, RequestID: id, ClientCount: n})
	}
}

func (a *nsAdapter) onResponse(channel string, msg []byte) {
	res, err := decodeMessage(msg)
	if err != nil {
		a.malformed(channel, err)
		return
	}
	a.mu.Lock()
	if ack := a.ackRequests[res.RequestID]; ack != nil {
		a.mu.Unlock()
		switch res.Type {
		case typeBroadcastClientCount:
			ack.onCount(res.ClientCount)
		case typeBroadcastAck:
			reply := res.Packet
			if reply == nil {
				reply = json.RawMessage("null")
			}
			ack.onAck(reply)
		}
		return
	}
	p := a.requests[res.RequestID]
	if p == nil || p.got >= p.want {
		a.mu.Unlock()
		return
	}
	switch p.typ {
	case typeRemoteFetch:
		for _, raw := range res.Sockets {
			var s socketio.RemoteSocket
			if json.Unmarshal(raw, &s) == nil {
				p.sockets = append(p.sockets, s)
			}
		}
	case typeAllRooms:
		p.rooms = append(p.rooms, res.Rooms...)
	case typeServerSideEmit:
		p.replies = append(p.replies, res.Data)
	}
	p.got++
	if p.got == p.want {
		close(p.done)
	}
	a.mu.Unlock()
}
