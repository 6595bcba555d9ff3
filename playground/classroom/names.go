package classroom

import (
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Names: what a student types is normalised with NFKC (full-width "Ａｄａ" is "Ada", "ﬁ" is "fi"),
// must be written in one script (no "Instructоr" with a Cyrillic о), and is compared by a
// lookalike key, so two names a classmate cannot tell apart on the projector are one name.
//
// Why not Unicode's full confusables (UTS #39 skeletons)? The Go packages that carry its table
// are unversioned and unmaintained; names here are short labels in a room, so two simple rules
// catch what matters: the mixed-script rule refuses a lookalike hidden among Latin letters, and
// the key folds the Cyrillic and Greek letters that look exactly like Latin ones (so an
// all-Cyrillic "Рере" collides with "Pepe") plus I/l/1/i and O/0, rn/m and vv/w. A refusal
// costs a student one retry with another name; an impersonation costs the class trust.

// nameScript returns the script of letter r, "" for Common and Inherited (digits, punctuation,
// combining marks), which go with any script.
func nameScript(r rune) string {
	switch {
	case r < 0x80 || unicode.Is(unicode.Latin, r):
		if unicode.IsLetter(r) {
			return "Latin"
		}
		return ""
	case unicode.Is(unicode.Common, r), unicode.Is(unicode.Inherited, r):
		return ""
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return "Unknown"
}

// cjk scripts that one name may mix (Japanese writes Han with kana; Korean Han with Hangul).
var cjk = map[string]bool{"Han": true, "Hiragana": true, "Katakana": true, "Hangul": true, "Bopomofo": true}

// oneScript reports whether the letters of name come from one script (CJK ones count as one).
func oneScript(name string) bool {
	first := ""
	for _, r := range name {
		sc := nameScript(r)
		if sc == "" {
			continue
		}
		if cjk[sc] {
			sc = "CJK"
		}
		if first == "" {
			first = sc
		} else if sc != first {
			return false
		}
	}
	return true
}

// lookalikes maps Cyrillic and Greek letters to the Latin letter they are drawn like
// (Unicode confusables.txt, single-letter prototypes), before lower-casing.
var lookalikes = map[rune]rune{
	// Cyrillic
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C',
	'Т': 'T', 'У': 'Y', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J', 'Ԛ': 'Q', 'Ԝ': 'W', 'Ү': 'Y',
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i',
	'ј': 'j', 'һ': 'h', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l', 'ү': 'y',
	// Greek
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N',
	'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', 'ο': 'o', 'ι': 'i', 'ν': 'v', 'ρ': 'p',
	'υ': 'u', 'κ': 'k', 'α': 'a', 'χ': 'x', 'γ': 'y',
}

// lookalikeKey is the uniqueness key of a clean (NFKC, one-script) name.
func lookalikeKey(clean string) string {
	var b strings.Builder
	for _, r := range clean {
		if l, ok := lookalikes[r]; ok {
			r = l
		}
		if r == 'I' { // a capital I is drawn like a small l
			r = 'l'
		}
		r = unicode.ToLower(r)
		switch r {
		case 'i', '1', 'ı':
			r = 'l'
		case '0':
			r = 'o'
		}
		b.WriteRune(r)
	}
	return strings.NewReplacer("rn", "m", "vv", "w").Replace(b.String())
}

// normalizeName is NFKC with spaces collapsed.
func normalizeName(name string) string {
	return strings.Join(strings.Fields(norm.NFKC.String(name)), " ")
}

// nameHold is how long a dropped student's name stays theirs: socket.io-client reconnects
// within 5 s by default, and a whole class after a server restart within 30 s (reliability.md
// T40); a minute covers both with room to spare.
const nameHold = time.Minute

// maxNameClaim bounds the claim a client sends; a longer one counts as none.
const maxNameClaim = 64

// heldName is a dropped student's name kept for the device that had it: the claim it sent, and
// the breakout room it was in (a reload brings the student back there).
type heldName struct {
	claim string
	room  string
	until time.Time
}

// nameHolds are the names of students whose connection dropped, by key.
type nameHolds struct {
	mu sync.Mutex
	m  map[string]heldName
}

// hold keeps key for claim until nameHold from now. A student who sent no claim cannot be told
// from anyone else, so their name is not held (held against everyone, it would lock them out of
// it too). At most max names are held; when full, expired ones are forgotten first, and if none
// has expired the name is not held.
func (h *nameHolds) hold(key, claim, room string, max int) {
	if claim == "" {
		return
	}
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]heldName{}
	}
	if len(h.m) >= max {
		for k, v := range h.m {
			if !now.Before(v.until) {
				delete(h.m, k)
			}
		}
		if len(h.m) >= max {
			return
		}
	}
	h.m[key] = heldName{claim: claim, room: room, until: now.Add(nameHold)}
}

// takenFrom reports whether key is held for another device than the one sending claim.
func (h *nameHolds) takenFrom(key, claim string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.m[key]
	switch {
	case !ok:
		return false
	case !time.Now().Before(v.until):
		delete(h.m, key)
		return false
	}
	return v.claim != claim
}

// take forgets key's hold and reports whether it was held for claim (the student is back within
// the hold, from the same device), with the room it was in.
func (h *nameHolds) take(key, claim string) (room string, back bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.m[key]
	delete(h.m, key)
	if !ok || claim == "" || v.claim != claim || !time.Now().Before(v.until) {
		return "", false
	}
	return v.room, true
}

// release forgets a hold (the student took the name back, or the instructor reset the class).
func (h *nameHolds) release(key string) {
	h.mu.Lock()
	delete(h.m, key)
	h.mu.Unlock()
}

// validClaim returns the claim a client sent, or "" when it cannot be one.
func validClaim(c string) string {
	if len(c) < 16 || len(c) > maxNameClaim {
		return ""
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return ""
		}
	}
	return c
}
