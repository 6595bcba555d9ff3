package web

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"socketlab/web/browsertest"
)

// courseServer serves the real app with the course's own lessons on 127.0.0.1.
func courseServer(t *testing.T) *httptest.Server {
	t.Helper()
	return appServer(t, Config{LessonDir: filepath.Join("..", "lessons")})
}

// TestBrokerLessonBrowser plays lesson 10 (lessons/10-message-queues.md) in Chromium as a student
// would: the prediction, then the broker demo with a worker that drops out while it holds a job
// (the queue gives the job to the other worker, delivery 2, while pub/sub never brings the
// missed news back), and a job both workers fail (a dead letter for the publisher).
func TestBrokerLessonBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := courseServer(t)
	b := newBrowser(t, browsertest.Allocator(t))
	b.open(srv.URL+"/lessons/message-queues", 2)

	t.Run("predict", func(t *testing.T) {
		b.t = t
		b.js(0, click("[data-testid=predict-Ana]")+";"+click("[data-testid=predict-Ben]")+";"+click("[data-testid=predict-run]"))
		b.waitFor("graded", `document.querySelector("[data-testid=predict-result]").dataset.state !== undefined`)
		if got := b.text(0, "[data-testid=predict-result]"); !strings.Contains(got, "Correct: Ana, Ben received it") {
			t.Errorf("prediction Ana+Ben: %q", got)
		}
	})

	const demo = 1
	received := func(name string) string { return b.text(demo, "[data-client="+name+"] [data-testid=client-received]") }
	publish := func(text string) {
		b.t.Helper()
		b.js(demo, setv("[data-testid=publish-from]", "Shop")+";"+setv("[data-testid=publish-text]", text)+";"+
			`$("[data-testid=publish-result]").textContent = "";`+click("[data-testid=publish-send]"))
		b.waitFor("published "+text, fmt.Sprintf(`document.querySelectorAll("section.demo")[%d].querySelector("[data-testid=publish-result]").textContent.includes("pub/sub")`, demo))
	}
	count := func(testid string) string {
		return fmt.Sprintf(`document.querySelectorAll("section.demo")[%d].querySelector("[data-testid=%s]")?.dataset.count`, demo, testid)
	}
	jobs := func(name, mode string) {
		b.t.Helper()
		b.js(demo, `{ const e = `+col(name, "[data-testid=client-jobs]")+`; e.value = "`+mode+`"; e.dispatchEvent(new Event("change", {bubbles: true})); }`)
	}
	toggle := func(name string) { b.t.Helper(); b.js(demo, col(name, "[data-testid=client-toggle]")+".click()") }
	status := func(name, want string) {
		b.t.Helper()
		b.waitFor(name+" "+want, fmt.Sprintf(`document.querySelectorAll("section.demo")[%d].querySelector("[data-client=%s] [data-testid=client-status]").textContent.includes(%q)`, demo, name, want))
	}

	// worker waits until the server's state (the rooms diagram) has name in the room workers, or not.
	worker := func(name string, in bool) {
		b.t.Helper()
		b.waitFor(fmt.Sprintf("the server sees %s: %v", name, in), fmt.Sprintf(`(document.querySelectorAll("section.demo")[%d].querySelector("[data-room=workers] [data-member=%s]") !== null) === %v`, demo, name, in))
	}

	t.Run("competing consumers", func(t *testing.T) {
		b.t = t
		publish("order #1")
		publish("order #2")
		b.waitFor("both jobs done", fmt.Sprintf(`document.querySelectorAll("section.demo")[%d].querySelector("[data-testid=broker-done]")?.textContent === "Acknowledged: 2"`, demo))
		ana, ben := received("Ana"), received("Ben")
		for _, who := range []struct{ name, got string }{{"Ana", ana}, {"Ben", ben}} {
			if strings.Count(who.got, "news ") != 2 {
				t.Errorf("%s's news: %q, want both orders by pub/sub", who.name, who.got)
			}
			if strings.Count(who.got, "job ") != 1 || !strings.Contains(who.got, "→ acked: done") {
				t.Errorf("%s's jobs: %q, want one, acked", who.name, who.got)
			}
		}
		if strings.Contains(ana, `"text":"order #1"} → acked`) == strings.Contains(ben, `"text":"order #1"} → acked`) {
			t.Errorf("order #1's job went to both or neither: Ana %q, Ben %q", ana, ben)
		}
	})

	t.Run("a worker drops out holding a job", func(t *testing.T) {
		b.t = t
		toggle("Ben") // the lesson's step 2: Ben misses a publish
		status("Ben", "offline")
		worker("Ben", false)
		publish("order #3")
		toggle("Ben")
		status("Ben", "connected")
		worker("Ben", true)
		jobs("Ana", "hold") // Ana has been idle longer than Ben, who just came back: she gets the next job
		publish("order #4")
		b.waitFor("held by Ana", count("broker-inflight")+` === "1" && `+fmt.Sprintf(`document.querySelectorAll("section.demo")[%d].querySelector("[data-testid=broker-inflight]").textContent.includes("at Ana")`, demo))
		if got := received("Ben"); strings.Contains(got, "order #3") || !strings.Contains(got, `news {"id":4,"text":"order #4"}`) {
			t.Errorf("Ben's list: %q; want order #4's news and nothing of order #3 (pub/sub keeps nothing)", got)
		}
		shot(b, demo, "broker-holding")
		toggle("Ana")
		status("Ana", "offline")
		worker("Ana", false)
		b.waitFor("redelivered to Ben", `(`+fmt.Sprintf(`document.querySelectorAll("section.demo")[%d].querySelector("[data-client=Ben] [data-testid=client-received]").textContent`, demo)+`).includes('"attempt":2,"id":4')`)
		b.waitFor("nothing in flight", count("broker-inflight")+` === "0"`)
		if got := received("Ben"); !strings.Contains(got, `{"attempt":2,"id":4,"text":"order #4"} → acked: done`) {
			t.Errorf("Ben's list: %q, want order #4 at delivery 2, acked", got)
		}
		shot(b, demo, "broker-redelivered")
		jobs("Ana", "done")
		toggle("Ana")
		status("Ana", "connected")
		worker("Ana", true)
	})

	t.Run("dead letter", func(t *testing.T) {
		b.t = t
		b.waitFor("idle", count("broker-inflight")+` === "0" && `+count("broker-ready")+` === "0"`)
		jobs("Ana", "fail")
		jobs("Ben", "fail")
		publish("unicorn")
		b.waitFor("dead letter", count("broker-dead")+` === "1"`)
		b.waitFor("Shop told", `(`+fmt.Sprintf(`document.querySelectorAll("section.demo")[%d].querySelector("[data-client=Shop] [data-testid=client-received]").textContent`, demo)+`).includes("dead letter")`)
		if got := received("Ana") + received("Ben"); strings.Count(got, `"text":"unicorn"}`) != 3+2 || strings.Count(got, "→ nacked: failed") != 3 {
			t.Errorf("workers' lists: %q, want 3 deliveries of the job (and 2 news), each failed", got)
		}
		shot(b, demo, "broker-dead-letter")
		b.noErrors()
	})
}

// shot saves demo n at 1280×800 and 360×740 (and checks that 360 px does not scroll sideways).
func shot(b *browser, n int, name string) {
	b.t.Helper()
	b.js(n, `for (const s of document.querySelectorAll("section.demo")) delete s.dataset.shot; d.dataset.shot = "1"`)
	b.shoot("section.demo[data-shot]", name, viewport{"1280", 1280, 800}, viewport{"360", 360, 740})
}
