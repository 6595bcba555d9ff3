package playground

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"socketlab/playground/socketio"
)

// The authentication demo: a public namespace, /login, issues signed tokens (JWT-style,
// HMAC-SHA256, 20 seconds of life); every other namespace's middleware checks the token, refuses
// a missing, forged or expired one, and keeps the user in socket.data.user. The outage fault
// (fault.go) makes the clients reconnect, which is where a token that was fixed at the start
// has expired and one fetched by an auth function has not.
var authenticationKind = &Kind{
	Name:  "authentication",
	Title: "Tokens in the handshake", Setup: setupAuthentication, JS: authenticationJS,
	Show: []string{"authentication", "token", "common"}, Faults: true,
}

// show:authentication
func setupAuthentication(in *Instance) {
	io := in.hub().IO
	// A public namespace that issues tokens. In a real app this is an HTTP login endpoint that
	// checks a password first; this server has only Socket.IO.
	io.Of("/login").OnConnection(func(s *socketio.Socket) {
		in.common(s)
		s.On("login", func(e *socketio.Event) {
			var name string
			if e.Decode(0, &name) != nil || strings.TrimSpace(name) == "" || len(name) > maxNameLen {
				e.AckError(errors.New("login needs a name"))
				return
			}
			exp := in.now().Add(tokenLife).Unix()
			e.Ack(map[string]any{"token": signToken(tokenClaims{Sub: name, Exp: exp}), "exp": exp})
		})
	})
	for _, name := range in.cfg.namespacesOf() {
		nsp := io.Of(name)
		nsp.Use(func(s *socketio.Socket, next func(error)) {
			user, err := verifyToken(tokenOf(s.Handshake().Auth), in.now())
			if err != nil {
				in.log.Info("middleware", "nsp", name, "client", clientName(s), "decision", "refused: "+err.Error())
				next(err) // connect_error on the client, with err.message and err.data
				return
			}
			s.Set("user", user) // socket.data.user
			in.log.Info("middleware", "nsp", name, "client", clientName(s), "decision", "allowed: "+user.Name)
			in.admit(s)
			next(nil)
		})
		nsp.OnConnection(func(s *socketio.Socket) {
			in.common(s)
			s.On("whoami", func(e *socketio.Event) {
				user, _ := s.Get("user")
				e.Ack(user)
			})
		})
	}
}

// show:end

// show:token
// A token is base64url(header) "." base64url(claims) "." base64url(HMAC-SHA256(secret, the two)).
const (
	tokenSecret = "demo-secret: a real one comes from the environment, never from the code"
	tokenLife   = 20 * time.Second
	tokenHeader = `{"alg":"HS256","typ":"JWT"}`
)

type tokenClaims struct {
	Sub string `json:"sub"` // who
	Exp int64  `json:"exp"` // until when, in Unix seconds
}

type tokenUser struct {
	Name string `json:"name"`
	Exp  int64  `json:"exp"`
}

func signToken(c tokenClaims) string {
	claims, _ := json.Marshal(c)
	b64 := base64.RawURLEncoding.EncodeToString
	data := b64([]byte(tokenHeader)) + "." + b64(claims)
	return data + "." + b64(tokenMAC(data))
}

func tokenMAC(data string) []byte {
	mac := hmac.New(sha256.New, []byte(tokenSecret))
	mac.Write([]byte(data))
	return mac.Sum(nil)
}

func verifyToken(token string, now time.Time) (tokenUser, error) {
	if token == "" {
		return tokenUser{}, &socketio.ConnectError{Message: "no token"}
	}
	invalid := &socketio.ConnectError{Message: "invalid token"}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return tokenUser{}, invalid
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, tokenMAC(parts[0]+"."+parts[1])) { // constant time
		return tokenUser{}, invalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c tokenClaims
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Sub == "" {
		return tokenUser{}, invalid
	}
	if now.Unix() >= c.Exp {
		return tokenUser{}, &socketio.ConnectError{Message: "token expired", Data: map[string]int64{"expiredAt": c.Exp}}
	}
	return tokenUser{Name: c.Sub, Exp: c.Exp}, nil
}

// show:end

const authenticationJS = `// A token is base64url(header) "." base64url(claims) "." base64url(HMAC-SHA256(secret, the two)).
const SECRET = "demo-secret: a real one comes from the environment, never from the code";
const TOKEN_LIFE = 20; // seconds

// A public namespace that issues tokens. In a real app this is an HTTP login endpoint that
// checks a password first; this server has only Socket.IO.
io.of("/login").on("connection", (socket) => {
  common(socket);
  socket.on("login", (name, ack) => {
    if (typeof name !== "string" || name.trim() === "" || name.length > 64) return ack({ error: "login needs a name" });
    const exp = Math.floor(Date.now() / 1000) + TOKEN_LIFE;
    ack({ token: signToken({ sub: name, exp }), exp });
  });
});
{{range .Namespaces}}
{{nsp .}}.use((socket, next) => {
  const result = verifyToken(socket.handshake.auth.token);
  if (result.error) {
    console.log("middleware", socket.nsp.name, clientName(socket), "refused: " + result.error.message);
    return next(result.error); // connect_error on the client, with err.message and err.data
  }
  socket.data.user = result.user;
  console.log("middleware", socket.nsp.name, clientName(socket), "allowed: " + result.user.name);
  next();
});
{{nsp .}}.on("connection", (socket) => {
  common(socket);
  socket.on("whoami", (ack) => ack(socket.data.user));
});
{{end}}
function signToken(claims) {
  const data = b64url(utf8(JSON.stringify({ alg: "HS256", typ: "JWT" }))) + "." + b64url(utf8(JSON.stringify(claims)));
  return data + "." + b64url(hmacSHA256(utf8(SECRET), utf8(data)));
}

function verifyToken(token) {
  if (!token) return { error: new Error("no token") };
  const invalid = { error: new Error("invalid token") };
  const parts = String(token).split(".");
  if (parts.length !== 3) return invalid;
  // In Node: crypto.timingSafeEqual. Here the MAC is compared whole, as text.
  if (parts[2] !== b64url(hmacSHA256(utf8(SECRET), utf8(parts[0] + "." + parts[1])))) return invalid;
  let claims;
  try {
    claims = JSON.parse(fromUTF8(fromB64url(parts[1])));
  } catch {
    return invalid;
  }
  if (typeof claims?.sub !== "string" || claims.sub === "") return invalid;
  if (Math.floor(Date.now() / 1000) >= claims.exp) {
    const err = new Error("token expired");
    err.data = { expiredAt: claims.exp }; // err.data on the client
    return { error: err };
  }
  return { user: { name: claims.sub, exp: claims.exp } };
}

// HMAC-SHA256 in plain JavaScript, because this playground's server has no crypto module. In
// Node: crypto.createHmac("sha256", SECRET).update(data).digest("base64url"), or a JWT library.
function hmacSHA256(key, msg) {
  if (key.length > 64) key = sha256(key);
  const pad = (x) => Array.from({ length: 64 }, (_, i) => (key[i] ?? 0) ^ x);
  return sha256(pad(0x5c).concat(sha256(pad(0x36).concat(msg))));
}

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

function sha256(bytes) {
  let H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const n = ((bytes.length + 9 + 63) >> 6) << 4; // 32-bit words, padded to 64-byte blocks
  const w = new Array(n).fill(0);
  bytes.forEach((b, i) => (w[i >> 2] |= b << (24 - (i % 4) * 8)));
  w[bytes.length >> 2] |= 0x80 << (24 - (bytes.length % 4) * 8);
  w[n - 1] = bytes.length * 8;
  const rotr = (x, r) => (x >>> r) | (x << (32 - r));
  for (let j = 0; j < n; j += 16) {
    const W = w.slice(j, j + 16);
    for (let t = 16; t < 64; t++) {
      const a = W[t - 15], b = W[t - 2];
      W[t] = ((rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) + W[t - 16] + (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10)) + W[t - 7]) | 0;
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let t = 0; t < 64; t++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      [h, g, f, e, d, c, b, a] = [g, f, e, (d + t1) | 0, c, b, a, (t1 + t2) | 0];
    }
    H = H.map((x, i) => (x + [a, b, c, d, e, f, g, h][i]) | 0);
  }
  return H.flatMap((x) => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function b64url(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    s += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : "") + (i + 2 < bytes.length ? B64[n & 63] : "");
  }
  return s;
}

function fromB64url(s) {
  const out = [];
  let n = 0, bits = 0;
  for (const ch of s) {
    const v = B64.indexOf(ch);
    if (v < 0) throw new Error("not base64url");
    n = (n << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((n >> bits) & 255);
    }
  }
  return out;
}

function utf8(s) {
  return Array.from(unescape(encodeURIComponent(s)), (c) => c.charCodeAt(0));
}

function fromUTF8(bytes) {
  return decodeURIComponent(bytes.map((b) => "%" + b.toString(16).padStart(2, "0")).join(""));
}
{{template "common"}}`
