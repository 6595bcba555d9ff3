package web

import (
	"strings"
	"testing"

	"socketlab/web/browsertest"
)

// The cluster demo in Chromium: Ada and Mary on server A, Grace on server B. With the adapter
// off, Ada's io.emit reaches A's clients only; switched on (the built-in stand-in for Redis, as
// on a plain make run), it reaches Grace too, and the broker panel shows the channel it travelled
// on; io.local.emit stays on A.
func TestClusterDemoBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := demoServer(t)
	shotDirs[t] = t.TempDir()
	defer delete(shotDirs, t)
	b := newBrowser(t, browsertest.Allocator(t))
	b.open(srv.URL+"/lessons/cluster", 1)

	received := func(name string) string {
		return b.text(0, "[data-testid=client][data-client="+name+"] [data-testid=client-received]")
	}
	// press clicks one of the demo's buttons as Ada and waits for the server's answer.
	press := func(button string) string {
		b.js(0, setv("[data-testid=cluster-from]", "Ada")+`; $("[data-testid=cluster-result]").dataset.state = ""; `+click("[data-testid=cluster-"+button+"]"))
		b.waitFor(button+" answered", `["ok", "error"].includes(document.querySelector("[data-testid=cluster-result]").dataset.state)`)
		return b.text(0, "[data-testid=cluster-result]")
	}

	if got := press("broadcast"); !strings.Contains(got, "the other servers never heard of it") {
		t.Errorf("adapter off, io.emit: %q", got)
	}
	b.waitFor("Mary (A) has the news", `document.querySelector("[data-client=Mary] [data-testid=client-received]").textContent.includes("from Ada")`)
	// Ada's answer came after server A delivered to its own sockets, and A has no way to B.
	if got := received("Grace"); strings.Contains(got, "news") {
		t.Errorf("adapter off: Grace (B) received %q", got)
	}
	if got := press("who"); !strings.Contains(got, "Ada (A), Mary (A).") {
		t.Errorf("adapter off, fetchSockets: %q", got)
	}
	b.screenshotAt("cluster-off", viewport{"1280", 1280, 800}, viewport{"360", 360, 740})

	b.js(0, click("[data-testid=adapter-switch]"))
	b.waitFor("adapter on", `document.querySelector("[data-testid=adapter-switch]").dataset.state === "on"`)
	if got := b.text(0, "[data-testid=broker-label]"); !strings.Contains(got, "built-in stand-in for Redis") {
		t.Errorf("broker label: %q", got)
	}
	b.waitFor("clients back", `[...document.querySelectorAll("[data-testid=client-status]")].every(e => e.textContent === "● connected")`)

	if got := press("local"); !strings.Contains(got, "reached the 2 socket(s) of server A only") {
		t.Errorf("adapter on, io.local.emit: %q", got)
	}
	if got := press("broadcast"); !strings.Contains(got, "published it on the broker") {
		t.Errorf("adapter on, io.emit: %q", got)
	}
	b.waitFor("Grace (B) has the news", `document.querySelector("[data-client=Grace] [data-testid=client-received]").textContent.includes("news")`)
	// The local emit went out before the broadcast, on no channel: Grace never gets it.
	if got := received("Grace"); strings.Contains(got, "local-news") {
		t.Errorf("io.local.emit reached Grace on B: %q", got)
	}
	// Grace (B) is in room-1 again once she reconnected; Ada (A) emits to room-1 from A.
	b.waitFor("Grace back in room-1", `document.querySelector("[data-room=room-1] [data-member=Grace]") !== null`)
	if got := press("room"); !strings.Contains(got, "the other servers' members through the broker") {
		t.Errorf("adapter on, io.to(room).emit: %q", got)
	}
	b.waitFor("Grace (B) has the room news", `document.querySelector("[data-client=Grace] [data-testid=client-received]").textContent.includes("room-news")`)
	if got := received("Mary"); strings.Contains(got, "room-news") {
		t.Errorf("Mary (A), not in room-1, received %q", got)
	}
	if got := press("who"); !strings.Contains(got, "Ada (A), Mary (A), Grace (B).") {
		t.Errorf("adapter on, fetchSockets: %q", got)
	}
	b.waitFor("the broker panel shows the broadcast and the request", `(() => {
		const items = [...document.querySelectorAll("[data-testid=broker-message]")];
		return items.some(e => e.dataset.kind === "broadcast" && e.dataset.channel.endsWith(":socket.io#/#")) &&
			items.some(e => e.dataset.kind === "room" && e.dataset.channel.endsWith(":socket.io#/#room-1#")) &&
			items.some(e => e.dataset.kind === "request" && e.dataset.channel.endsWith(":socket.io-request#/#"));
	})()`)
	if got := b.text(0, "[data-testid=broker-log]"); strings.Contains(got, "local-news") {
		t.Errorf("the broker saw io.local.emit: %q", got)
	}
	b.noErrors()
	b.screenshotAt("cluster-on", viewport{"1280", 1280, 800}, viewport{"360", 360, 740})
}
