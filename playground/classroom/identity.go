package classroom

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"time"

	"socketlab/playground"
)

// Device identities: a browser gets an identity cookie (IdentityCookie) when it opens a class page
// or the join form. An identity is 128 random bits, an expiry and an HMAC of both under the
// Classroom's key, so nobody can make one up: each is minted by the server, and minting is paced
// per address (the mint budget). An identity buys its device a wrong-code budget of its own
// (GuessesPerDevice, never refilled), and one seat per class.
//
// Why guessing stays hopeless (TestCodeGuessBound replays it): a code is one of
// 31^6 = 887 503 681. From one address a guesser has
//
//   - the anonymous budget (no identity): FailBurst, then one per FailEvery;
//   - the identities it can get minted: MintBurst, then one per MintEvery, each worth
//     GuessesPerDevice wrong codes, once.
//
// With the defaults that is at most 100 + 86 400/2 + (1 000 + 86 400/10) × 5 = 91 500 guesses a
// day: with one live class, a chance of about 1 in 9 700 a day per address (1 in 97 with 100
// live classes: a class ends within hours, and its code is not reused). Right codes are never
// counted; a device with its own identity is never refused because of anyone else's wrong codes.

// IdentityCookie is the name of the device identity cookie.
const IdentityCookie = "sl-id"

const (
	identityMaxAge = 12 * time.Hour
	identityRandom = 16
	identityMAC    = 16
	identityBytes  = identityRandom + 8 + identityMAC
)

// identities mints and checks identity cookies under one key.
type identities struct{ key [32]byte }

func newIdentities() identities {
	var ids identities
	rand.Read(ids.key[:])
	return ids
}

func (ids identities) mac(b []byte) []byte {
	m := hmac.New(sha256.New, ids.key[:])
	m.Write(b)
	return m.Sum(nil)[:identityMAC]
}

// mint returns a new identity cookie value valid until now + identityMaxAge.
func (ids identities) mint(now time.Time) string {
	b := make([]byte, identityRandom+8, identityBytes)
	rand.Read(b[:identityRandom])
	binary.BigEndian.PutUint64(b[identityRandom:], uint64(now.Add(identityMaxAge).Unix()))
	return base64.RawURLEncoding.EncodeToString(append(b, ids.mac(b)...))
}

// check returns the identity (its random part) of a cookie value this key minted and that has
// not expired, with its expiry; "" otherwise.
func (ids identities) check(v string, now time.Time) (id string, expires time.Time) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) != identityBytes {
		return "", time.Time{}
	}
	body := b[:identityRandom+8]
	if !hmac.Equal(b[identityRandom+8:], ids.mac(body)) {
		return "", time.Time{}
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(body[identityRandom:])), 0)
	if !now.Before(exp) {
		return "", time.Time{}
	}
	return string(body[:identityRandom]), exp
}

// identityOf is the valid identity a request's cookies carry, or "".
func (c *Classroom) identityOf(h http.Header, now time.Time) (id string, expires time.Time) {
	ck, err := (&http.Request{Header: h}).Cookie(IdentityCookie)
	if err != nil {
		return "", time.Time{}
	}
	return c.ids.check(ck.Value, now)
}

// mintBurstLocked is the mint budget: never below four times the largest live class, so a whole
// class behind one NAT'd address, fresh devices all, gets identities at once.
func (c *Classroom) mintBurstLocked() int { return max(c.opts.MintBurst, 4*c.largestLocked()) }

// Identify gives a device without a valid identity a new one (a cookie on w), when its address's
// mint budget allows, and returns the identity it has now ("" without one).
func (c *Classroom) Identify(w http.ResponseWriter, r *http.Request) string {
	now := time.Now()
	if id, _ := c.identityOf(r.Header, now); id != "" {
		return id
	}
	if c.crossSiteSubresource(r) {
		return "" // an image tag on another site: no cookie it could keep anyway
	}
	return c.mintFor(w, r, now)
}

// mintFor mints an identity for r's address if its budget allows and sets it on w.
func (c *Classroom) mintFor(w http.ResponseWriter, r *http.Request, now time.Time) string {
	addr := playground.ClientAddress(r.RemoteAddr)
	c.mu.Lock()
	if c.mints.spent(addr, now)+1 > float64(c.mintBurstLocked()) {
		c.mu.Unlock()
		return ""
	}
	c.mints.spend(addr, now)
	c.mu.Unlock()
	v := c.ids.mint(now)
	http.SetCookie(w, &http.Cookie{
		Name: IdentityCookie, Value: v, Path: "/", MaxAge: int(identityMaxAge / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	id, _ := c.ids.check(v, now)
	return id
}

// crossSiteSubresource reports a request another site's page made without navigating to us (Fetch
// Metadata: an <img>, a script, a fetch or a WebSocket) from an origin the hubs do not allow: it
// never gets to try a code, so a hostile page full of image tags spends no one's budget.
// Navigations (a QR scan, a link), our own pages' requests (same-origin) and the pages of allowed
// origins (-origins) are not.
func (c *Classroom) crossSiteSubresource(r *http.Request) bool {
	return r.Header.Get("Sec-Fetch-Site") == "cross-site" && r.Header.Get("Sec-Fetch-Mode") != "navigate" && !c.reg.OriginAllowed(r)
}
