package playground

import (
	"errors"
	"strings"
	"testing"
	"time"

	"socketlab/playground/socketio"
)

// TestVerifyToken: a token signed by signToken verifies until its exp; anything else is refused
// with the message and data the client's connect_error shows.
func TestVerifyToken(t *testing.T) {
	now := time.Unix(2_000_000_000, 0)
	good := signToken(tokenClaims{Sub: "Ada", Exp: now.Unix() + 20})
	parts := strings.Split(good, ".")
	tests := []struct {
		name, token, msg string
		data             any
	}{
		{"valid", good, "", nil},
		{"none", "", "no token", nil},
		{"two parts", parts[0] + "." + parts[1], "invalid token", nil},
		{"signature of other claims", signToken(tokenClaims{Sub: "Eve", Exp: now.Unix() + 20})[:len(good)-len(parts[2])] + parts[2], "invalid token", nil},
		{"signature not base64url", parts[0] + "." + parts[1] + ".***", "invalid token", nil},
		{"claims changed", parts[0] + ".eyJzdWIiOiJFdmUiLCJleHAiOjk5OTk5OTk5OTl9." + parts[2], "invalid token", nil},
		{"no subject", signToken(tokenClaims{Exp: now.Unix() + 20}), "invalid token", nil},
		{"expires now", signToken(tokenClaims{Sub: "Ada", Exp: now.Unix()}), "token expired", map[string]int64{"expiredAt": now.Unix()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, err := verifyToken(tt.token, now)
			if tt.msg == "" {
				if err != nil || user != (tokenUser{Name: "Ada", Exp: now.Unix() + 20}) {
					t.Fatalf("got %+v, %v; want Ada", user, err)
				}
				return
			}
			var ce *socketio.ConnectError
			if !errors.As(err, &ce) || ce.Message != tt.msg {
				t.Fatalf("got %v, want connect_error %q", err, tt.msg)
			}
			if tt.data != nil && ce.Data.(map[string]int64)["expiredAt"] != tt.data.(map[string]int64)["expiredAt"] {
				t.Errorf("data %v, want %v", ce.Data, tt.data)
			}
		})
	}
}
