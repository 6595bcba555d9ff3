// Package classroom is Socket Lab's classroom mode (issue 7): a class is a demo instance of its own
// (opened with playground.Registry.Open, so it is capped, reclaimed when nobody has been connected
// for the idle timeout, and closed with the registry) joined by the students' devices.
//
//   - Students connect to "/" with auth {name, code} at /class/CODE/socket.io/.
//   - The instructor connects to "/instructor" with auth {token: SECRET}; every control event carries
//     the token again and is re-checked (constant time) before anything changes.
//   - Tenants are namespaces "/org-NAME" the instructor opens; a student enters one with a one-time
//     ticket the server hands to that student only.
//   - Kicks ban the display name (case-insensitive) for the class's lifetime until the instructor
//     allows it again. Students are anonymous, so a kicked student can come back under another
//     name: a kick is a classroom tool, not an access control.
//
// The package is split by job: lifecycle.go (create, look up, end; the registry sweeps), admission.go
// (codes, the member cookie, the wrong-code and wrong-key budgets, the socket entrance and the
// namespaces' middlewares), students.go (what a student's socket does) and controls.go (the
// instructor's actions: one table entry plus its handler each).
package classroom

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"socketlab/playground"
	"socketlab/playground/socketio"
)

// CodeAlphabet has no 0/O, 1/I/L: 31 symbols, 31^6 ≈ 8.9·10^8 codes.
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

const (
	CodeLen            = 6
	DefaultMaxStudents = 500
	// DefaultFailBurst is the per-address budget of failed class codes from devices without an
	// identity (and, in a bucket of its own, of wrong instructor keys). The code budget is raised
	// to twice the largest live class when that is bigger, so a whole class behind one NAT can
	// mistype at once.
	DefaultFailBurst = 100
	// DefaultFailEvery refills one failed attempt per address.
	DefaultFailEvery = 2 * time.Second
	// DefaultMintBurst identities are minted per address at once (four times the largest live
	// class when that is more), then one per DefaultMintEvery (identity.go).
	DefaultMintBurst = 1000
	DefaultMintEvery = 10 * time.Second
	// DefaultGuessesPerDevice is the wrong codes an identity may try, once: a device that spends
	// them gets a new identity from its address's mint budget.
	DefaultGuessesPerDevice = 5
	// DefaultSeatsPerAddress is how many seats of one class the devices behind one address may
	// hold (a class behind one NAT is 30 to 60); DefaultJoinEvery refills their join bucket,
	// whose burst is the same number.
	DefaultSeatsPerAddress = 100
	DefaultJoinEvery       = 500 * time.Millisecond
	// sessionSlack is the class's Engine.IO sessions beyond its seats (the instructor's pages,
	// reconnections overlapping a session not yet timed out), in its reserve and per address.
	sessionSlack     = 50
	nameMax          = 24
	textMax          = 500
	maxBreakoutRooms = 50
	maxTenants       = 8
	secretBytes      = 32
	// memberMaxAge is how long a device admitted to a class keeps its member cookie.
	memberMaxAge = 12 * time.Hour
)

// Errors a student or the HTTP layer can see.
var (
	ErrUnknownClass    = errors.New("no class with this code (it may have ended)")
	ErrTooManyAttempts = errors.New("too many wrong class codes from this address; wait a minute")
	// ErrTooManyGuesses: this device's identity has tried its wrong codes; its answer carries a
	// new identity when the address's mint budget allows, so the next try is checked again.
	ErrTooManyGuesses = errors.New("too many wrong class codes from this device; check the code with your instructor and try again")
	// ErrCrossSite: another site's page (an image tag, a script) asked for a class.
	ErrCrossSite     = errors.New("open the join link directly")
	errTooManyKeys   = errors.New("too many wrong presenter keys from this address; wait a minute")
	ErrNotAuthorized = errors.New("not authorized")
	ErrClassLocked   = errors.New("sending is locked by the instructor")
	errClassEnded    = errors.New("the class has ended")
	errNameTaken     = errors.New("that name is taken in this class; pick another")
	errNameHeld      = errors.New("that name was in use a moment ago and is kept for its student for a minute; pick another")
	reservedNames    = []string{"instructor", "teacher", "server", "everyone"}
)

// Options configure a Classroom; zero values take the defaults.
type Options struct {
	MaxStudents      int           // DefaultMaxStudents
	FailBurst        int           // DefaultFailBurst
	FailEvery        time.Duration // DefaultFailEvery
	MintBurst        int           // DefaultMintBurst
	MintEvery        time.Duration // DefaultMintEvery
	GuessesPerDevice int           // DefaultGuessesPerDevice
	SeatsPerAddress  int           // DefaultSeatsPerAddress
	JoinEvery        time.Duration // DefaultJoinEvery
	// Store, when set, keeps the classes across restarts (store.go): New restores the classes it
	// holds, and Close saves them one last time and closes it.
	Store *Store
}

// Classroom finds classes by join code and rate-limits failed codes per client address.
//
// Only a new Engine.IO handshake (or a join page) for a code that is not live spends an address's
// code budget, and only those are refused once it is spent: requests of a session the class
// already has (a "sid" it issued) always pass, so the students behind one NAT'd address keep
// working while one of them mistypes. Wrong instructor keys spend a budget of their own.
type Classroom struct {
	reg     *playground.Registry
	opts    Options
	persist *persister // nil without a Store

	ids identities // the key of device identity cookies

	mu         sync.Mutex
	byCode     map[string]*Class
	fails      budgets                  // wrong or unknown class codes from devices without an identity
	tokenFails budgets                  // wrong instructor keys
	mints      budgets                  // identities minted per address
	guesses    map[string]deviceGuesses // identity → its wrong codes, until it expires
}

// deviceGuesses is an identity's wrong codes; it is forgotten when the identity expires.
type deviceGuesses struct {
	n       int
	expires time.Time
}

// New keeps its classes in reg (which owns their hubs).
func New(reg *playground.Registry, opts Options) *Classroom {
	playground.OrDefault(&opts.MaxStudents, DefaultMaxStudents)
	playground.OrDefault(&opts.FailBurst, DefaultFailBurst)
	playground.OrDefault(&opts.FailEvery, DefaultFailEvery)
	playground.OrDefault(&opts.MintBurst, DefaultMintBurst)
	playground.OrDefault(&opts.MintEvery, DefaultMintEvery)
	playground.OrDefault(&opts.GuessesPerDevice, DefaultGuessesPerDevice)
	playground.OrDefault(&opts.SeatsPerAddress, DefaultSeatsPerAddress)
	playground.OrDefault(&opts.JoinEvery, DefaultJoinEvery)
	c := &Classroom{reg: reg, opts: opts, byCode: map[string]*Class{}, ids: newIdentities(),
		fails: newBudgets(opts.FailEvery), tokenFails: newBudgets(opts.FailEvery),
		mints: newBudgets(opts.MintEvery), guesses: map[string]deviceGuesses{}}
	if opts.Store != nil {
		c.persist = newPersister(opts.Store, reg.Logger().With(slog.String("file", opts.Store.Path())))
		c.restore()
	}
	return c
}

// Class is one live class session.
type Class struct {
	code    string
	keyHash [sha256.Size]byte // of the presenter key, which only its holder has
	lesson  string
	in      *playground.Instance
	progs   *playground.Programs // the instructor's server code on "/" (program.go)
	cr      *Classroom
	// member is the value of the cookie a device gets when it is admitted (see Admit): it lets that
	// device back in (a reload, a reconnection) while its address is over the code budget.
	member string

	mu       sync.Mutex
	students map[string]*student // socket id (on "/") → student
	byName   map[string]string   // folded name → socket id
	byDevice map[string]string   // identity → socket id of its seat
	seats    map[string]int      // client address → seats its devices hold
	joins    budgets             // joins per client address
	banned   map[string]bool     // folded names
	locked   bool
	rooms    int      // breakout rooms room-1..room-N (0: none)
	tenants  []string // "/org-red", …
	follow   map[string]string
	ended    bool
	holds    nameHolds // names of dropped students, kept for them a while (names.go)
	// awaited are the students of a class restored from its store who have not come back yet
	// (folded name → name and room): the first device back under that name takes their place.
	awaited map[string]rosterEntry
}

type student struct {
	id, name, folded string
	device, addr     string // its identity ("" without one) and client address
	s                *socketio.Socket
	room             string // "room-N" or ""
	tenant           string // "/org-x" or ""
	ticket           string // one-time ticket for tenant
	tenantSock       *socketio.Socket
}

// Code is the class's join code.
func (cl *Class) Code() string { return cl.code }

// Lesson is the lesson slug the class was started from ("" for the playground).
func (cl *Class) Lesson() string { return cl.lesson }

// SocketPath is where students and the instructor connect (io({path})): the hub's only entrance.
func (cl *Class) SocketPath() string { return "/class/" + cl.code + "/socket.io/" }

// TapPath is the instance's SSE tap (docs/play-api.md); given only to the instructor.
func (cl *Class) TapPath() string { return cl.in.TapPath() }

// Authorized reports, in constant time, whether token is the class's presenter capability.
func (cl *Class) Authorized(token string) bool {
	h := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(h[:], cl.keyHash[:]) == 1
}

// Students is the number of students connected on "/".
func (cl *Class) Students() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return len(cl.students)
}

func (cl *Class) lookupStudent(id string) *student {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.students[id]
}

// ---- codes, names, tickets

func randomCode() string {
	b := make([]byte, CodeLen)
	n := big.NewInt(int64(len(CodeAlphabet)))
	for i := range b {
		v, _ := rand.Int(rand.Reader, n)
		b[i] = CodeAlphabet[v.Int64()]
	}
	return string(b)
}

// NormalizeCode upper-cases a typed code and drops the spaces and dashes people type inside it
// ("abc 234", "ABC-234"); ok is false when it cannot be a code.
func NormalizeCode(s string) (string, bool) {
	s = strings.ToUpper(strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == '_' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s))
	if len(s) != CodeLen {
		return s, false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(CodeAlphabet, s[i]) < 0 {
			return s, false
		}
	}
	return s, true
}

// randomToken is n random bytes, base64url: class secrets, member cookies, tenant tickets.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newTicket() string { return randomToken(16) }

// ValidateName checks a student's display name and returns it cleaned (NFKC, spaces collapsed)
// and folded: the uniqueness key, equal for names that look alike (names.go).
func ValidateName(name string) (clean, folded string, err error) {
	if !utf8.ValidString(name) {
		return "", "", errors.New("name is not valid text")
	}
	clean = normalizeName(name)
	n := utf8.RuneCountInString(clean)
	switch {
	case n == 0:
		return "", "", errors.New("pick a name")
	case n > nameMax:
		return "", "", fmt.Errorf("names are at most %d characters", nameMax)
	}
	for _, r := range clean {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '-' || r == '_' || r == '.' || r == '\'') {
			return "", "", errors.New("names may use letters, digits, spaces and - _ . ' only")
		}
	}
	if !oneScript(clean) {
		return "", "", errors.New("names use the letters of one alphabet (lookalikes from others are refused)")
	}
	folded = lookalikeKey(clean)
	for _, r := range reservedNames {
		if folded == lookalikeKey(r) {
			return "", "", errors.New("that name is reserved")
		}
	}
	return clean, folded, nil
}

// checkText trims a message and checks its length.
func checkText(s string) (string, error) {
	text := strings.TrimSpace(s)
	if text == "" || utf8.RuneCountInString(text) > textMax {
		return "", fmt.Errorf("messages are 1 to %d characters", textMax)
	}
	return text, nil
}
