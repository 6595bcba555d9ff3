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
const { createHash, createHmac, timingSafeEqual } = require("node:crypto");
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
  return data + "." + createHmac("sha256", SECRET).update(data).digest("base64url");
}

function verifyToken(token) {
  if (!token) return { error: new Error("no token") };
  const invalid = { error: new Error("invalid token") };
  const parts = String(token).split(".");
  if (parts.length !== 3) return invalid;
  const want = createHmac("sha256", SECRET).update(parts[0] + "." + parts[1]).digest("base64url");
  // In constant time, so the time taken tells an attacker nothing; timingSafeEqual wants equal
  // lengths, so it compares the two signatures' hashes.
  if (!timingSafeEqual(createHash("sha256").update(parts[2]).digest(), createHash("sha256").update(want).digest())) return invalid;
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

// base64url and UTF-8 by hand, since the playground has no Buffer. In Node:
// Buffer.from(text).toString("base64url") and Buffer.from(b64, "base64url").toString().
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
