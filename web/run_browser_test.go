package web

import (
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"socketlab/playground"
	"socketlab/web/browsertest"
)

// TestRunPageBrowser: under socketlab run the playground page attaches its clients to the run
// hub at /socket.io/ (no demo instance of its own), shows the program's code and console, an
// emit from the page runs the program's handler and the page says who got it, and it offers no
// setup to apply.
func TestRunPageBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	code, err := playground.KindOf("rooms").ServerJS(&playground.DemoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	code = "console.log(\"from the file\");\n" + code
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(slog.New(slog.DiscardHandler), Config{Origins: []string{"http://" + ln.Addr().String()},
		Run: &RunConfig{File: "rooms.js", Code: code, Console: func(string, string) {}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() { a.Close(); srv.Close() })

	b := newBrowser(t, browsertest.Allocator(t))
	b.open(srv.URL+"/", 1)
	if n := a.play.Len(); n != 1 {
		t.Errorf("%d instances after the page loaded, want the run hub only", n)
	}
	if got := a.run.IO().Of("/").FetchSockets(); len(got) != 3 {
		t.Errorf("the run hub has %d sockets, want the page's 3 clients", len(got))
	}
	b.waitFor("the program's console line", `document.querySelector("[data-testid=console]").textContent.includes("from the file")`)
	// The page's composer speaks the demos' "send" protocol, which this rooms program handles.
	pickA := `{ const s = $("[data-testid=composer-from]"); s.value = [...s.options].find((o) => o.value.split("\u0000")[0] === "A").value; }`
	got := b.act(0, pickA+";"+setv("[data-testid=composer-scope]", "all")+";"+click("[data-testid=composer-send]"))
	wantReceived(t, got, "A", "B", "C")
	if s := evalJS[string](t, b, `document.querySelector("[data-testid=pg-path]").textContent`); s != "/socket.io/" {
		t.Errorf("bring your own client path = %q", s)
	}
	if n := evalJS[int](t, b, `document.querySelectorAll("[data-testid=pg-apply], [data-testid=pg-make-link]").length`); n != 0 {
		t.Errorf("the setup/share panels are shown under socketlab run")
	}
	if !strings.Contains(evalJS[string](t, b, `document.querySelector("[data-testid=server-code-js]")?.textContent ?? ""`), "from the file") {
		t.Errorf("the server panel does not show the file's code")
	}
	// The file is what runs: the page shows it read only, with no Run or Reset that could not work.
	if got := evalJS[string](t, b, `[document.querySelectorAll("[data-testid=code-run], [data-testid=code-reset]").length,
		document.querySelector("[data-testid=server-code-js] textarea")?.readOnly,
		!!document.querySelector("[data-testid=code-fixed]")].join(" ")`); got != "0 true true" {
		t.Errorf("run buttons, read only, note = %q, want \"0 true true\"", got)
	}
	b.noErrors()
}
