package web

import (
	"strings"
	"testing"
)

// TestReconnectionDemoBrowser drives the reconnection demo in Chromium, as a student would: a kick
// ("io server disconnect", socket.active false, no attempt), a disconnect with emits buffered
// meanwhile (all delivered on reconnect), a silenced heartbeat (the client's own "ping timeout",
// then a new connection), and an outage (attempts with the backoff, connect_error while active,
// everyone back once it ends). node/truth/12-reconnection.test.js checks the same behaviour on
// socket.io-client.
func TestReconnectionDemoBrowser(t *testing.T) {
	b := openDemoLesson(t, "reconnection")
	reason := func(name, want string) {
		t.Helper()
		b.waitFor(name+" "+want, `document.querySelector("[data-client=`+name+`] [data-testid=client-reason]")?.dataset.reason === "`+want+`"`)
	}
	connected := func(name string) {
		t.Helper()
		b.waitFor(name+" connected", `document.querySelector("[data-client=`+name+`] [data-testid=client-status]").textContent === "● connected"`)
	}
	active := func(name string) string {
		t.Helper()
		return b.text(0, "[data-client="+name+"] [data-testid=client-active]")
	}

	t.Run("kick: io server disconnect, no reconnection", func(t *testing.T) {
		b.t = t
		b.js(0, col("Grace", "[data-testid=client-kick]")+".click()")
		reason("Grace", "io server disconnect")
		if got := active("Grace"); !strings.HasPrefix(got, "socket.active = false") {
			t.Errorf("Grace after a kick: %q, want socket.active = false", got)
		}
		if got := b.text(0, "[data-client=Grace] [data-testid=client-reason]"); !strings.Contains(got, "stays offline until socket.connect()") {
			t.Errorf("Grace's reason line: %q", got)
		}
		if n := evalJS[int](t, b, `document.querySelectorAll("[data-client=Grace] [data-testid=client-attempts] li").length`); n != 0 {
			t.Errorf("Grace made %d reconnection attempts after a kick", n)
		}
		b.js(0, col("Grace", "[data-testid=client-toggle]")+".click()") // Reconnect: socket.connect()
		connected("Grace")
	})

	t.Run("emits made offline are buffered, then flood in", func(t *testing.T) {
		b.t = t
		b.js(0, col("Ada", "[data-testid=client-toggle]")+".click()")
		reason("Ada", "io client disconnect")
		b.js(0, col("Ada", "[data-testid=client-burst-checked]")+".click()")
		// The column is redrawn on the next frame: wait for it rather than read it at once.
		b.waitFor("nothing buffered", `document.querySelector("[data-client=Ada] [data-testid=client-note]")?.textContent.includes("3 emits skipped, nothing buffered")`)
		b.js(0, col("Ada", "[data-testid=client-burst]")+".click()")
		b.waitFor("3 buffered", `document.querySelector("[data-client=Ada] [data-testid=client-buffered]")?.textContent.startsWith("3 emits buffered")`)
		b.screenshotAt("reconnection-buffered", lessonShots...)
		b.js(0, col("Ada", "[data-testid=client-toggle]")+".click()")
		b.waitFor("Grace got the burst", `document.querySelector("[data-client=Grace] [data-testid=client-received]").textContent.includes("Ada #2.3")`)
		got := b.text(0, "[data-client=Grace] [data-testid=client-received]")
		for _, m := range []string{"Ada #2.1", "Ada #2.2", "Ada #2.3"} {
			if strings.Count(got, m) != 1 {
				t.Errorf("Grace received %q %d times, want once: %q", m, strings.Count(got, m), got)
			}
		}
		if strings.Contains(got, "Ada #1.") {
			t.Errorf("Grace received an emit Ada skipped while offline: %q", got)
		}
		if n := evalJS[int](t, b, `document.querySelectorAll("[data-client=Ada] [data-testid=client-buffered]").length`); n != 0 {
			t.Errorf("Ada's buffer still shown after the reconnect")
		}
	})

	t.Run("silenced heartbeat: ping timeout, then a new connection", func(t *testing.T) {
		b.t = t
		id := b.text(0, "[data-client=Grace] [data-testid=client-id]")
		b.js(0, col("Grace", "[data-testid=client-silence]")+".click()")
		reason("Grace", "ping timeout")
		connected("Grace")
		if got := b.text(0, "[data-client=Grace] [data-testid=client-id]"); got == id {
			t.Errorf("Grace kept socket id %s after a ping timeout (no recovery on this demo)", id)
		}
		if got := b.text(0, "[data-client=Grace] [data-testid=client-back]"); !strings.Contains(got, "connected again after") {
			t.Errorf("Grace's column after the ping timeout: %q", got)
		}
		if got := b.text(0, "[data-testid=console]"); !strings.Contains(got, "heartbeat stopped") {
			t.Errorf("server console: no \"heartbeat stopped\" line")
		}
	})

	t.Run("outage: attempts with backoff, then everyone back", func(t *testing.T) {
		b.t = t
		b.js(0, click("[data-testid=outage]"))
		reason("Ada", "transport close")
		reason("Grace", "transport close")
		b.waitFor("two failed attempts", `document.querySelectorAll("[data-client=Ada] [data-testid=client-attempts] li").length >= 2`)
		if got := b.text(0, "[data-client=Ada] [data-testid=client-connect-error]"); !strings.Contains(got, "socket.active is true (it tries again)") {
			t.Errorf("Ada's connect_error during the outage: %q", got)
		}
		if got := active("Ada"); !strings.HasPrefix(got, "socket.active = true") {
			t.Errorf("Ada during the outage: %q, want socket.active = true", got)
		}
		b.screenshotAt("reconnection-outage", lessonShots...)
		connected("Ada") // the outage lasts 8 s; each wait allows 10
		connected("Grace")
		if got := b.text(0, "[data-client=Ada] [data-testid=client-back]"); !strings.Contains(got, "attempts") {
			t.Errorf("Ada's column after the outage: %q", got)
		}
		b.noErrors()
	})
}
