package web

import (
	"strings"
	"testing"
)

// TestAuthenticationDemoBrowser drives the authentication demo in Chromium: both clients logged
// in on /login and passed the token check; "Who am I?" shows socket.data.user from the token; a
// token whose claims were changed is refused; a restart reconnects a client whose auth is a
// function with a new token (a second login), while one set to a fixed object sends its token
// as it is (no new login). node/truth/13-authentication.test.js checks the same on socket.io.
func TestAuthenticationDemoBrowser(t *testing.T) {
	b := openDemoLesson(t, "authentication")
	logins := func(name string) string {
		return `document.querySelector("[data-client=` + name + `] [data-testid=client-token]")?.textContent.match(/logins: (\d+)/)?.[1]`
	}

	b.js(0, col("Ada", "[data-testid=client-whoami]")+".click()")
	b.waitFor("whoami", `document.querySelector("[data-client=Ada] [data-testid=client-note]").textContent.startsWith("socket.data.user on the server: ")`)
	if got := b.text(0, "[data-client=Ada] [data-testid=client-note]"); !strings.Contains(got, `"name":"Ada"`) {
		t.Errorf("Ada's whoami: %q", got)
	}

	b.js(0, col("Grace", "[data-testid=client-forged]")+".click()")
	b.waitFor("forged refused", `document.querySelector("[data-client=Grace] [data-testid=client-note]").textContent.includes("connect_error")`)
	if got := b.text(0, "[data-client=Grace] [data-testid=client-note]"); !strings.Contains(got, `connect_error "invalid token"`) {
		t.Errorf("forged token: %q, want invalid token", got)
	}
	if got := b.text(0, "[data-testid=console]"); !strings.Contains(got, "refused: invalid token") {
		t.Errorf("server console: no refusal line")
	}

	// Grace keeps her first token (auth: { token }); Ada fetches one on every attempt.
	b.js(0, setv(`[data-client=Grace] [data-testid=client-auth-mode]`, "object"))
	b.waitFor("one login each", logins("Ada")+` === "1" && `+logins("Grace")+` === "1"`)
	b.js(0, click("[data-testid=restart]"))
	b.waitFor("Ada logged in again", logins("Ada")+` === "2"`)
	b.waitFor("both back", `[...document.querySelectorAll("[data-testid=client-status]")].every(e => e.textContent === "● connected")`)
	if got := evalJS[string](t, b, logins("Grace")); got != "1" {
		t.Errorf("Grace (auth: { token }) logged in %s times; her token must be sent again as it is", got)
	}
	b.screenshotAt("authentication", lessonShots...)
	b.noErrors()
}
