package socketio

import (
	"strconv"
	"sync"
	"time"
)

// session is what an unexpected disconnection leaves for recovery.
type session struct {
	sid, pid string
	rooms    []string
	data     map[string]any
	at       time.Time
}

type storedPacket struct {
	seq    uint64
	pkt    *Packet
	rooms  []string
	except []string
	at     time.Time
	size   int
}

// recoveryStore keeps one namespace's sent packets and disconnected
// sessions for RecoveryOptions.MaxDisconnectionDuration, bounded by
// MaxPackets and MaxBytes (oldest evicted first).
type recoveryStore struct {
	opts RecoveryOptions

	mu       sync.Mutex
	seq      uint64         // last assigned offset
	packets  []storedPacket // ascending seq, from head
	head     int
	bytes    int
	evicted  uint64 // highest evicted seq
	sessions map[string]*session
	order    []*session // by disconnection time
	sweep    *time.Timer
	stopped  bool
}

func newRecoveryStore(o RecoveryOptions) *recoveryStore {
	return &recoveryStore{opts: o, sessions: make(map[string]*session)}
}

func formatOffset(seq uint64) string { return strconv.FormatUint(seq, 36) }

func (r *recoveryStore) nextSeq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	return r.seq
}

func (r *recoveryStore) push(seq uint64, p *Packet, rooms, except []string, now time.Time) {
	size := len(p.Text)
	for _, a := range p.Attachments {
		size += len(a)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.packets = append(r.packets, storedPacket{seq: seq, pkt: p, rooms: rooms, except: except, at: now, size: size})
	r.bytes += size
	r.prune(now)
}

// prune evicts packets over the count, byte or age bounds.
func (r *recoveryStore) prune(now time.Time) {
	for r.head < len(r.packets) {
		p := r.packets[r.head]
		if len(r.packets)-r.head <= r.opts.MaxPackets && r.bytes <= r.opts.MaxBytes &&
			now.Sub(p.at) <= r.opts.MaxDisconnectionDuration {
			break
		}
		r.bytes -= p.size
		r.evicted = p.seq
		r.packets[r.head] = storedPacket{}
		r.head++
	}
	if r.head > 1024 && r.head*2 > len(r.packets) {
		r.packets = append([]storedPacket(nil), r.packets[r.head:]...)
		r.head = 0
	}
	for len(r.order) > 0 && now.Sub(r.order[0].at) > r.opts.MaxDisconnectionDuration {
		if r.sessions[r.order[0].pid] == r.order[0] {
			delete(r.sessions, r.order[0].pid)
		}
		r.order[0] = nil
		r.order = r.order[1:]
	}
}

func (r *recoveryStore) save(s *session, now time.Time) {
	s.at = now
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sessions[s.pid] = s
	r.order = append(r.order, s)
	r.prune(now)
	r.scheduleLocked(now)
}

// scheduleLocked arms a timer that frees expired sessions and packets even
// when the namespace sees no more traffic.
func (r *recoveryStore) scheduleLocked(now time.Time) {
	if r.sweep != nil || r.stopped || len(r.order) == 0 {
		return
	}
	wait := r.order[0].at.Add(r.opts.MaxDisconnectionDuration).Sub(now) + time.Millisecond
	r.sweep = time.AfterFunc(max(wait, time.Millisecond), func() {
		now := time.Now()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.sweep = nil
		r.prune(now)
		r.scheduleLocked(now)
	})
}

// stop cancels the sweep timer (server closed).
func (r *recoveryStore) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.sweep != nil {
		r.sweep.Stop()
		r.sweep = nil
	}
}

// storedSessions reports how many sessions wait for recovery.
func (r *recoveryStore) storedSessions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions)
}

// take removes and returns the session of pid if it is still within the
// window and offset is one we issued.
func (r *recoveryStore) take(pid, offset string, now time.Time) (*session, uint64, bool) {
	seq, err := strconv.ParseUint(offset, 36, 64)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prune(now)
	s, ok := r.sessions[pid]
	if !ok || err != nil || seq > r.seq || seq < r.evicted {
		return nil, 0, false
	}
	delete(r.sessions, pid)
	return s, seq, true
}

// since returns the packets after offset that a socket in rooms would have
// received; ok is false when some of them were evicted.
func (r *recoveryStore) since(offset uint64, rooms map[string]struct{}, now time.Time) ([]*Packet, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prune(now)
	if offset < r.evicted {
		return nil, false
	}
	var out []*Packet
	for _, p := range r.packets[r.head:] {
		if p.seq <= offset || !matches(p.rooms, p.except, rooms) {
			continue
		}
		out = append(out, p.pkt)
	}
	return out, true
}

func matches(to, except []string, rooms map[string]struct{}) bool {
	for _, e := range except {
		if _, in := rooms[e]; in {
			return false
		}
	}
	if len(to) == 0 {
		return true
	}
	for _, t := range to {
		if _, in := rooms[t]; in {
			return true
		}
	}
	return false
}
