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
	"slices"
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
	// DefaultFailBurst is the per-address budget of failed class codes (and, in a bucket of its
	// own, of wrong instructor keys). The code budget is raised to twice the largest live class
	// when that is bigger, so a whole class behind one NAT can mistype at once.
	DefaultFailBurst = 100
	// DefaultFailEvery refills one failed attempt per address: a guesser behind one address makes
	// ~86 400 guesses a day against 8.9·10^8 codes.
	DefaultFailEvery = time.Second
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
	errTooManyKeys     = errors.New("too many wrong presenter keys from this address; wait a minute")
	ErrNotAuthorized   = errors.New("not authorized")
	ErrClassLocked     = errors.New("sending is locked by the instructor")
	errClassEnded      = errors.New("the class has ended")
	reservedNames      = []string{"instructor", "teacher", "server", "everyone"}
)

// Options configure a Classroom; zero values take the defaults.
type Options struct {
	MaxStudents int           // DefaultMaxStudents
	FailBurst   int           // DefaultFailBurst
	FailEvery   time.Duration // DefaultFailEvery
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

	mu         sync.Mutex
	byCode     map[string]*Class
	fails      budgets // wrong or unknown class codes
	tokenFails budgets // wrong instructor keys
}

// New keeps its classes in reg (which owns their hubs).
func New(reg *playground.Registry, opts Options) *Classroom {
	if opts.MaxStudents <= 0 {
		opts.MaxStudents = DefaultMaxStudents
	}
	if opts.FailBurst <= 0 {
		opts.FailBurst = DefaultFailBurst
	}
	if opts.FailEvery <= 0 {
		opts.FailEvery = DefaultFailEvery
	}
	c := &Classroom{reg: reg, opts: opts, byCode: map[string]*Class{},
		fails: newBudgets(opts.FailEvery), tokenFails: newBudgets(opts.FailEvery)}
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
	banned   map[string]bool     // folded names
	locked   bool
	rooms    int      // breakout rooms room-1..room-N (0: none)
	tenants  []string // "/org-red", …
	follow   map[string]string
	ended    bool
	// awaited are the students of a class restored from its store who have not come back yet
	// (folded name → name and room): the first device back under that name takes their place.
	awaited map[string]rosterEntry
}

type student struct {
	id, name, folded string
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

// NormalizeCode upper-cases and trims a typed code; ok is false when it cannot be a code.
func NormalizeCode(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
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

// ValidateName checks a student's display name and returns it cleaned (spaces collapsed) and folded
// (the uniqueness key).
func ValidateName(name string) (clean, folded string, err error) {
	clean = strings.Join(strings.Fields(name), " ")
	n := utf8.RuneCountInString(clean)
	switch {
	case n == 0:
		return "", "", errors.New("pick a name")
	case n > nameMax:
		return "", "", fmt.Errorf("names are at most %d characters", nameMax)
	case !utf8.ValidString(clean):
		return "", "", errors.New("name is not valid text")
	}
	for _, r := range clean {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '-' || r == '_' || r == '.' || r == '\'') {
			return "", "", errors.New("names may use letters, digits, spaces and - _ . ' only")
		}
	}
	folded = strings.ToLower(clean)
	if slices.Contains(reservedNames, folded) {
		return "", "", errors.New("that name is reserved")
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
