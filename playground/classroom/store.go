package classroom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Persistence (issue 13 item 4): a class outlives a restart of the server. Every live class is one
// record in a single bbolt file under the user's state directory (StatePath): its code, the hash
// of its presenter key (the file never holds the key itself), the member cookie's value, its
// settings (lock, breakout rooms, tenants, follow me, bans, the instructor's program) and its
// roster, each student's name and breakout room. After a restart the class comes back under its
// code; the presenter page's key and the students' member cookies still work; a student who
// reconnects under a name of the roster lands in their room again.
//
// Writes happen on one goroutine of their own (persister), never under the classroom's, a class's
// or a hub's lock: a change only marks its class dirty; the writer copies the class's state under
// the class lock, then writes outside it, many changes in one transaction. Ended and swept
// classes are deleted from the file; a record older than StaleAfter is not restored.

const (
	// StaleAfter is how long a saved class stays restorable: the member cookie's lifetime (a
	// device would have to type the code again anyway). A restored class is then swept like any
	// other, when nobody has been connected for the registry's idle timeout.
	StaleAfter = memberMaxAge

	storeFile        = "classes.db"
	storeBucket      = "classes"
	recordVersion    = 1
	storeLockTimeout = time.Second
)

// StatePath is where serve keeps its classes by default: $XDG_STATE_HOME/socketlab/classes.db, else
// $HOME/.local/state/socketlab/classes.db; "" when getenv knows neither.
func StatePath(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "socketlab", storeFile)
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".local", "state", "socketlab", storeFile)
	}
	return ""
}

// Store is the file the classes are kept in. Open it with OpenStore and hand it to New (the
// Classroom closes it).
type Store struct {
	db   *bolt.DB
	path string
}

// OpenStore opens (or creates, mode 0600 in a 0700 directory) the class store at path. Its errors
// name the file and say what to do: another server using it, or a file that is not a store.
func OpenStore(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("class store %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: storeLockTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("class store %s is in use by another socketlab server: give this one a file of its own with -state", path)
	}
	if err != nil {
		return nil, fmt.Errorf("class store %s cannot be read (%w): move the file away to start with an empty store", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte(storeBucket))
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// update and view run one transaction; a damaged file that makes bbolt panic is an error, not a
// crash of the server.
func (s *Store) update(fn func(*bolt.Tx) error) error { return s.tx(s.db.Update, fn) }
func (s *Store) view(fn func(*bolt.Tx) error) error   { return s.tx(s.db.View, fn) }

func (s *Store) tx(run func(func(*bolt.Tx) error) error, fn func(*bolt.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("class store %s is damaged: %v", s.path, p)
		}
	}()
	if err := run(fn); err != nil {
		return fmt.Errorf("class store %s: %w", s.path, err)
	}
	return nil
}

// load reads every record. A record that does not decode or validate is reported in bad and left
// in the file (nothing is lost; a later version may read it).
func (s *Store) load() (recs []classRecord, bad []error, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(storeBucket)).ForEach(func(k, v []byte) error {
			var rec classRecord
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rec); err != nil {
				bad = append(bad, fmt.Errorf("class %.16q: %w", k, err))
				return nil
			}
			if err := rec.validate(string(k)); err != nil {
				bad = append(bad, fmt.Errorf("class %.16q: %w", k, err))
				return nil
			}
			recs = append(recs, rec)
			return nil
		})
	})
	return recs, bad, err
}

// write puts recs and deletes the classes del in one transaction.
func (s *Store) write(recs []classRecord, del []string) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(storeBucket))
		for _, code := range del {
			if err := b.Delete([]byte(code)); err != nil {
				return err
			}
		}
		for _, rec := range recs {
			v, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(rec.Code), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// classRecord is one class in the file (JSON, so that a person can read it with bbolt's CLI).
type classRecord struct {
	Version int               `json:"v"`
	Code    string            `json:"code"`
	KeyHash []byte            `json:"keyHash"` // SHA-256 of the presenter key
	Member  string            `json:"member"`  // the member cookie's value
	Lesson  string            `json:"lesson,omitempty"`
	Saved   time.Time         `json:"saved"`
	Locked  bool              `json:"locked,omitempty"`
	Rooms   int               `json:"rooms,omitempty"`
	Tenants []string          `json:"tenants,omitempty"`
	Follow  map[string]string `json:"follow,omitempty"`
	Banned  []string          `json:"banned,omitempty"` // folded names
	Program string            `json:"program,omitempty"`
	Roster  []rosterEntry     `json:"roster,omitempty"`
}

// rosterEntry is a student of a saved class: their name and breakout room ("" for the main room).
type rosterEntry struct {
	Name string `json:"name"`
	Room string `json:"room,omitempty"`
}

// validate checks a record read from the file as strictly as what a client sends.
func (rec *classRecord) validate(key string) error {
	code, ok := NormalizeCode(rec.Code)
	switch {
	case rec.Version != recordVersion:
		return fmt.Errorf("record version %d, want %d", rec.Version, recordVersion)
	case !ok || code != rec.Code || key != rec.Code:
		return fmt.Errorf("bad class code %.16q", rec.Code)
	case len(rec.KeyHash) != 32:
		return errors.New("bad presenter key hash")
	case len(rec.Member) < 16:
		return errors.New("bad member token")
	case rec.Rooms < 0 || rec.Rooms > maxBreakoutRooms:
		return fmt.Errorf("%d breakout rooms", rec.Rooms)
	case len(rec.Tenants) > maxTenants:
		return fmt.Errorf("%d tenants", len(rec.Tenants))
	case len(rec.Program) > maxProgram:
		return errors.New("program over the size limit")
	case len(rec.Roster) > DefaultMaxStudents*4 || len(rec.Banned) > DefaultMaxStudents*4:
		return errors.New("roster too long")
	}
	for _, t := range rec.Tenants {
		if !tenantNamespace.MatchString(t) {
			return fmt.Errorf("bad tenant %.40q", t)
		}
	}
	for _, b := range rec.Banned {
		if _, folded, err := ValidateName(b); err != nil || folded != b {
			return fmt.Errorf("bad banned name %.40q", b)
		}
	}
	for _, e := range rec.Roster {
		if clean, _, err := ValidateName(e.Name); err != nil || clean != e.Name {
			return fmt.Errorf("bad student name %.40q", e.Name)
		}
		if e.Room != "" && !validRoomOf(e.Room, rec.Rooms) {
			return fmt.Errorf("student %s in room %.20q of %d", e.Name, e.Room, rec.Rooms)
		}
	}
	if f := rec.Follow; f != nil && (!followURLRE.MatchString(f["url"]) || len(f) > 2) {
		return errors.New("bad follow link")
	}
	return nil
}

// record is what the store keeps of cl; live is false once the class has ended or its instance
// has closed (the writer then deletes it).
func (cl *Class) record(now time.Time) (rec classRecord, live bool) {
	if cl.in.Closed() {
		return rec, false
	}
	program := cl.progs.Code()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.ended {
		return rec, false
	}
	rec = classRecord{
		Version: recordVersion, Code: cl.code, KeyHash: cl.keyHash[:], Member: cl.member, Lesson: cl.lesson,
		Saved: now.UTC(), Locked: cl.locked, Rooms: cl.rooms, Tenants: slices.Clone(cl.tenants),
		Follow: maps.Clone(cl.follow), Banned: slices.Sorted(maps.Keys(cl.banned)), Program: program,
	}
	here := map[string]bool{}
	for _, st := range cl.students {
		here[st.folded] = true
		rec.Roster = append(rec.Roster, rosterEntry{Name: st.name, Room: st.room})
	}
	for folded, e := range cl.awaited {
		if !here[folded] {
			rec.Roster = append(rec.Roster, e)
		}
	}
	slices.SortFunc(rec.Roster, func(a, b rosterEntry) int { return strings.Compare(a.Name, b.Name) })
	return rec, true
}

// persister is the store's one writer: changes mark their class dirty; it saves them in batches.
type persister struct {
	st  *Store
	log *slog.Logger

	mu     sync.Mutex
	dirty  map[string]*Class // code → class to save; nil: delete
	closed bool

	writeMu sync.Mutex // one flush at a time
	failing bool       // the last write failed (logged once, until one succeeds); under writeMu
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newPersister(st *Store, log *slog.Logger) *persister {
	p := &persister{st: st, log: log, dirty: map[string]*Class{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// save marks cl to be written; forget marks code to be deleted. Neither blocks nor does I/O, so
// they may be called under any lock. Both do nothing on a nil persister (no store) or once it
// has closed (the server's shutdown disconnecting everyone must not empty the saved rosters).
func (p *persister) save(cl *Class)     { p.mark(cl.code, cl) }
func (p *persister) forget(code string) { p.mark(code, nil) }

func (p *persister) mark(code string, cl *Class) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.dirty[code] = cl
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *persister) run() {
	defer close(p.done)
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("class store writer stopped", "file", p.st.path, "panic", fmt.Sprint(r))
		}
	}()
	for {
		select {
		case <-p.stop:
			return
		case <-p.wake:
			p.flush()
		}
	}
}

// flush writes what is dirty now.
func (p *persister) flush() {
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	p.mu.Lock()
	batch := p.dirty
	p.dirty = map[string]*Class{}
	p.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	now := time.Now()
	var recs []classRecord
	var del []string
	for code, cl := range batch {
		if cl == nil {
			del = append(del, code)
			continue
		}
		if rec, live := cl.record(now); live {
			recs = append(recs, rec)
		} else {
			del = append(del, code)
		}
	}
	err := p.st.write(recs, del)
	switch {
	case err != nil && !p.failing:
		p.log.Error("classes not saved: they will not survive a restart", "err", err, "classes", len(recs)+len(del))
	case err == nil && p.failing:
		p.log.Info("classes are saved again")
	}
	p.failing = err != nil
}

// close saves live one last time, stops the writer and closes the file; later marks and calls are
// ignored.
func (p *persister) close(live []*Class) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	for _, cl := range live {
		p.dirty[cl.code] = cl
	}
	p.closed = true
	p.mu.Unlock()
	close(p.stop)
	<-p.done
	p.flush()
	if err := p.st.Close(); err != nil {
		p.log.Error("closing the class store", "file", p.st.path, "err", err)
	}
}
