package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"socketlab/web/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserClassroom: the instructor starts a class with the button on a lesson page and gets
// the projector view; three students join on their own pages; a random breakout into two rooms and
// a room-only message reach exactly the students in that room.
func TestBrowserClassroom(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	a, base := newClassTestApp(t)
	lesson := a.content.Load().idx.Lessons()[0]
	present := browsertest.Browser(t)

	browsertest.Do(t, present, "open a lesson", chromedp.Navigate(base+"/lessons/"+lesson.Slug))
	browsertest.Do(t, present, "start the class from the lesson", chromedp.Click(chromedp.CSS(`[data-testid=class-start-button]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=class-joinbox]`)))
	if got := browsertest.Eval[string](t, present, `document.querySelector("[data-testid=class-present]").dataset.lesson`); got != lesson.Slug {
		t.Errorf("class started from lesson %q, presenter view says %q", lesson.Slug, got)
	}
	e2eWait(t, present, `document.querySelector("[data-testid=class-status]")?.textContent.includes("live")`)
	if hash := browsertest.Eval[string](t, present, `location.hash`); hash != "" {
		t.Errorf("the presenter key is still in the address bar: %q", hash)
	}
	code := browsertest.Eval[string](t, present, `document.querySelector("[data-testid=class-code]").textContent`)
	if len(code) != 6 {
		t.Fatalf("join code %q", code)
	}

	names := []string{"Ada", "Zoë O'Neil", "Linus"}
	students := map[string]context.Context{}
	for _, n := range names {
		tab := browsertest.Tab(t, present, chromedp.WithNewBrowserContext()) // a device of its own
		students[n] = tab
		browsertest.Do(t, tab, "open /join", chromedp.Navigate(base+"/join"))
		fill(t, tab, "join-code", strings.ToLower(code))
		e2eWait(t, tab, `location.pathname === "/join/`+code+`" && "ready" in (document.querySelector("[data-class-student]")?.dataset ?? {})`)
		fill(t, tab, "student-name", n)
		e2eWait(t, tab, `!document.querySelector("[data-testid=student-client]").hidden`)
		if got := browsertest.Eval[string](t, tab, `document.querySelector("[data-testid=student-me]").textContent`); got != n {
			t.Errorf("student page says %q, want %q", got, n)
		}
	}
	// A fourth device picks a name already taken: refused with a message, stays on the form.
	dup := browsertest.Tab(t, present, chromedp.WithNewBrowserContext())
	browsertest.Do(t, dup, "open the class", chromedp.Navigate(base+"/join/"+code))
	e2eWait(t, dup, `"ready" in (document.querySelector("[data-class-student]")?.dataset ?? {})`)
	fill(t, dup, "student-name", "ada")
	e2eWait(t, dup, `document.querySelector("[data-testid=name-error]").textContent.includes("taken")`)

	e2eWait(t, present, `document.querySelector("[data-testid=class-count]").textContent === "3"`)
	for _, n := range names {
		if !browsertest.Eval[bool](t, present, fmt.Sprintf(`[...document.querySelectorAll("[data-testid=class-roster] .class-name")].some(e => e.textContent === %q)`, n)) {
			t.Errorf("roster lacks %q", n)
		}
	}

	// Breakout: two rooms at random.
	browsertest.Eval[bool](t, present, `(() => {
		document.querySelector("[data-testid=breakout-n]").value = "2";
		document.querySelector("[data-testid=breakout]").click();
		return true;
	})()`)
	e2eWait(t, present, `document.querySelector("[data-call-js]").textContent.includes("socket.join")`)
	room := map[string]string{}
	for _, n := range names {
		tab := students[n]
		e2eWait(t, tab, `/^room-[12]$/.test(document.querySelector("[data-testid=student-rooms]").textContent)`)
		room[n] = browsertest.Eval[string](t, tab, `document.querySelector("[data-testid=student-rooms]").textContent`)
	}
	e2eWait(t, present, `document.querySelectorAll("[data-testid=class-rooms] [data-room=room-1] .class-chip, [data-testid=class-rooms] [data-room=room-2] .class-chip").length === 3`)

	// A message to room-1 only, then one to everyone as a barrier (per-connection order).
	send := func(to, text string) {
		t.Helper()
		browsertest.Eval[bool](t, present, fmt.Sprintf(`(() => {
			const f = document.querySelector("[data-emit-form]");
			f.elements.to.value = %q;
			f.elements.to.dispatchEvent(new Event("change"));
			f.elements.room.value = "room-1";
			f.elements.text.value = %q;
			f.requestSubmit();
			return true;
		})()`, to, text))
		e2eWait(t, present, fmt.Sprintf(`document.querySelector("[data-testid=emit-text]").value === "" && document.querySelector("[data-call-js]").textContent.includes(%q)`, map[string]string{"room": `io.to("room-1")`, "all": `io.emit`}[to]))
	}
	send("room", "Only room one sees this")
	send("all", "Everyone sees this")
	inRoom1 := 0
	for _, n := range names {
		tab := students[n]
		e2eWait(t, tab, `[...document.querySelectorAll("[data-msg-text]")].some(e => e.textContent === "Everyone sees this")`)
		got := browsertest.Eval[bool](t, tab, `[...document.querySelectorAll("[data-msg-text]")].some(e => e.textContent === "Only room one sees this")`)
		want := room[n] == "room-1"
		if want {
			inRoom1++
		}
		if got != want {
			t.Errorf("%s (in %s) received the room-1 message: %v, want %v", n, room[n], got, want)
		}
	}
	if inRoom1 != 2 {
		t.Errorf("%d students in room-1, want 2 of 3 (split i%%2)", inRoom1)
	}

	// A student's message goes to their own room; follow me shows the lesson in the student pages.
	var room1Student string
	for _, n := range names {
		if room[n] == "room-1" {
			room1Student = n
		}
	}
	tab := students[room1Student]
	fill(t, tab, "say-text", "hello room")
	e2eWait(t, tab, `[...document.querySelectorAll("[data-msg-text]")].some(e => e.textContent === "hello room")`)
	// The student reloads the page: back under the same name, in the same room, and told so;
	// the projector shows the reconnect.
	browsertest.Do(t, tab, "reload the student's page", chromedp.Reload())
	e2eWait(t, tab, `!document.querySelector("[data-testid=student-client]").hidden && document.querySelector("[data-testid=student-rooms]").textContent === "room-1"`)
	e2eWait(t, tab, `document.querySelector("[data-testid=student-status]")?.textContent === "Reconnected: you are back in the class, in room-1."`)
	e2eWait(t, present, fmt.Sprintf(`[...document.querySelectorAll("[data-testid=class-reconnect]")].some(e => e.textContent.endsWith(%q))`, "↻ "+room1Student+" reconnected (back in room-1)"))
	browsertest.Eval[bool](t, present, `(() => { document.querySelector("[data-testid=follow]").click(); return true; })()`)
	e2eWait(t, tab, `!document.querySelector("[data-testid=student-follow]").hidden && document.querySelector("[data-follow-content] h2, [data-follow-content] p") !== null`)

	e2eWait(t, present, `document.querySelectorAll("[data-testid=class-serverlog] li").length > 0 && document.querySelectorAll("[data-testid=class-events] li").length > 0`)
	e2eScreenshot(t, present, "class-presenter")

	// The last message's recipients by name, under its call: everyone got "Everyone sees this"
	// (then follow reached the same three).
	e2eWait(t, present, `document.querySelectorAll("[data-testid=class-call-recipients] .class-recipient").length === 3`)
	if got := browsertest.Eval[string](t, present, `[...document.querySelectorAll("[data-testid=class-call-recipients] .class-recipient")].map(e => e.textContent).sort().join(",")`); got != "Ada,Linus,Zoë O'Neil" {
		t.Errorf("recipients shown: %q", got)
	}

	// The wall at 1920×1080: the call at 24 px or more, who got it, the rooms and the last events
	// on the first screen; none of the instructor's controls.
	browsertest.Do(t, present, "projector size", chromedp.EmulateViewport(1920, 1080))
	browsertest.Eval[bool](t, present, `(document.querySelector("[data-testid=wall-toggle]").click(), window.scrollTo(0, 0), true)`)
	if px := browsertest.Eval[float64](t, present, `parseFloat(getComputedStyle(document.querySelector("[data-call-js]")).fontSize)`); px < 24 {
		t.Errorf("the call on the wall: %.1f px, want ≥ 24", px)
	}
	for _, sel := range []string{"[data-testid=class-call-recipients]", "[data-testid=class-rooms]", "[data-testid=class-events] li", "[data-testid=class-code]"} {
		if top := browsertest.Eval[float64](t, present, fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return r.height > 0 ? r.top : -1; })()`, sel)); top < 0 || top > 1080 {
			t.Errorf("on the wall, %s is not on the first screen (top %.0f)", sel, top)
		}
	}
	if n := browsertest.Eval[int](t, present, `[...document.querySelectorAll("[data-instructor-only], [data-kick], [data-move]")].filter(e => e.getClientRects().length > 0).length`); n != 0 {
		t.Errorf("%d instructor controls visible on the wall", n)
	}
	for _, theme := range []string{"light", "dark"} {
		browsertest.Eval[bool](t, present, fmt.Sprintf(`(document.documentElement.dataset.theme = %q, true)`, theme))
		e2eScreenshot(t, present, "class-wall-1920-"+theme)
	}
	browsertest.Eval[bool](t, present, `(delete document.documentElement.dataset.theme, document.querySelector("[data-testid=wall-toggle]").click(), true)`)
	browsertest.Do(t, present, "laptop size", chromedp.EmulateViewport(1280, 800))

	// Remove from the keyboard: the focus moves to the next student's Remove, not the page top.
	next := browsertest.Eval[string](t, present, `document.querySelector('[data-student="Ada"]').nextElementSibling.dataset.student`)
	browsertest.Do(t, present, "focus Ada's Remove", chromedp.Focus(chromedp.CSS(`[data-student="Ada"] [data-kick]`)))
	browsertest.Do(t, present, "press Enter", chromedp.KeyEvent("\r"))
	e2eWait(t, present, `document.querySelector("[data-testid=class-count]").textContent === "2"`)
	if got := browsertest.Eval[string](t, present, `document.activeElement?.closest("[data-student]")?.dataset.student + " " + document.activeElement?.hasAttribute("data-kick")`); got != next+" true" {
		t.Errorf("after Remove from the keyboard, focus is on %q, want %s's Remove", got, next)
	}

	// End the class: the wall says so and shows no code that no longer works.
	browsertest.Eval[bool](t, present, `(document.querySelector("[data-testid=end]").click(), document.querySelector("[data-testid=end]").click(), true)`)
	e2eWait(t, present, `document.querySelector("[data-testid=class-ended-note]").getClientRects().length > 0`)
	if got := browsertest.Eval[string](t, present, `["[data-testid=class-qr]", "[data-testid=class-code]", "[data-testid=class-join-url]"].map(s => document.querySelector(s).getClientRects().length).join()`); got != "0,0,0" {
		t.Errorf("after the end, QR/code/URL rects %s, want none shown", got)
	}
	browsertest.Do(t, tab, "phone size", chromedp.EmulateViewport(390, 844))
	e2eWait(t, tab, `document.readyState === "complete"`)
	if overflow := browsertest.Eval[bool](t, tab, `document.documentElement.scrollWidth > window.innerWidth + 1`); overflow {
		t.Errorf("student page scrolls sideways at 390 px")
	}
	e2eScreenshot(t, tab, "class-student-phone")
}

// joinClass opens /join/CODE on a device of its own and joins as name; it returns the tab.
func joinClass(t *testing.T, browser context.Context, base, code, name string) context.Context {
	t.Helper()
	tab := browsertest.Tab(t, browser, chromedp.WithNewBrowserContext())
	browsertest.Do(t, tab, "open the class", chromedp.Navigate(base+"/join/"+code))
	e2eWait(t, tab, `"ready" in (document.querySelector("[data-class-student]")?.dataset ?? {})`)
	fill(t, tab, "student-name", name)
	e2eWait(t, tab, `!document.querySelector("[data-testid=student-client]").hidden`)
	return tab
}

// dragJS drags the chip named name onto the box for room (a "room-N", "main" or "/org-x") in the
// presenter view, with the DragEvents and DataTransfer a real drag and drop dispatches.
func dragJS(name, room string) string {
	return fmt.Sprintf(`(() => {
		const chip = [...document.querySelectorAll("[data-testid=class-rooms] .class-chip[draggable=true]")].find(e => e.textContent === %q);
		const box = document.querySelector('[data-testid=class-rooms] [data-room=%q]');
		if (!chip || !box) return false;
		const dataTransfer = new DataTransfer();
		const fire = (el, type) => el.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer}));
		fire(chip, "dragstart");
		fire(box, "dragenter");
		fire(box, "dragover");
		fire(box, "drop");
		fire(chip, "dragend");
		return true;
	})()`, name, room)
}

// TestBrowserClassroomDragDrop: started from the playground's button, the instructor opens three
// empty rooms, drags one student into a room, moves another with the per-student Move menu (the
// keyboard path), drags a student into a tenant namespace and back out; each student's own page
// shows where they are.
func TestBrowserClassroomDragDrop(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	_, base := newClassTestApp(t)
	present := browsertest.Browser(t)
	browsertest.Do(t, present, "open the playground", chromedp.Navigate(base+"/playground"))
	browsertest.Do(t, present, "start a class from the playground", chromedp.Click(chromedp.CSS(`[data-testid=class-start-button]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=class-joinbox]`)))
	e2eWait(t, present, `document.querySelector("[data-testid=class-status]")?.textContent.includes("live")`)
	code := browsertest.Eval[string](t, present, `document.querySelector("[data-testid=class-code]").textContent`)

	ada := joinClass(t, present, base, code, "Ada")
	grace := joinClass(t, present, base, code, "Grace")
	where := func(tab context.Context, want string) {
		t.Helper()
		e2eWait(t, tab, fmt.Sprintf(`document.querySelector("[data-testid=student-rooms]").textContent === %q`, want))
	}
	e2eWait(t, present, `document.querySelector("[data-testid=class-count]").textContent === "2"`)

	// Three empty rooms: nobody moves.
	browsertest.Eval[bool](t, present, `(() => {
		document.querySelector("[data-testid=breakout-n]").value = "3";
		document.querySelector("[data-testid=open-rooms]").click();
		return true;
	})()`)
	e2eWait(t, present, `document.querySelectorAll("[data-testid=class-rooms] [data-room^=room-]").length === 3 && document.querySelector("[data-call-js]").textContent.includes("socketsJoin")`)
	if n := browsertest.Eval[int](t, present, `document.querySelectorAll("[data-testid=class-rooms] [data-room=main] .class-chip").length`); n != 2 {
		t.Errorf("%d students in the main room after opening empty rooms, want 2", n)
	}
	where(ada, "main room")

	// Drag Ada into room-3.
	if !browsertest.Eval[bool](t, present, dragJS("Ada", "room-3")) {
		t.Fatal("no Ada chip or room-3 box to drag between")
	}
	where(ada, "room-3")
	e2eWait(t, present, `[...document.querySelectorAll('[data-testid=class-rooms] [data-room=room-3] .class-chip')].map(e => e.textContent).join() === "Ada"`)
	where(grace, "main room")

	// The keyboard path: Grace's Move menu in the roster.
	browsertest.Eval[bool](t, present, `(() => {
		const li = [...document.querySelectorAll("[data-testid=class-roster] li")].find(e => e.dataset.student === "Grace");
		const sel = li.querySelector("select[data-move]");
		sel.focus();
		sel.value = "room-2";
		sel.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`)
	where(grace, "room-2")

	// Tenant boxes are drop targets: Grace into /org-red, then back out onto the main room.
	browsertest.Eval[bool](t, present, `(() => { document.querySelector("[data-testid=tenants]").click(); return true; })()`)
	e2eWait(t, present, `document.querySelector('[data-testid=class-rooms] [data-room="/org-red"]') !== null`)
	if !browsertest.Eval[bool](t, present, dragJS("Grace", "/org-red")) {
		t.Fatal("no Grace chip or /org-red box to drag between")
	}
	where(grace, "room-2 · namespace /org-red")
	e2eWait(t, present, `[...document.querySelectorAll('[data-testid=class-rooms] [data-room="/org-red"] .class-chip')].map(e => e.textContent).join() === "Grace"`)
	e2eWait(t, present, `document.querySelector('[data-testid=class-rooms] [data-room="/org-red"] .class-chip[draggable=true]') !== null`)
	if !browsertest.Eval[bool](t, present, fmt.Sprintf(`(() => {
		const chip = document.querySelector('[data-testid=class-rooms] [data-room="/org-red"] .class-chip');
		const box = document.querySelector("[data-testid=class-rooms] [data-room=main]");
		const dataTransfer = new DataTransfer();
		const fire = (el, type) => el.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer}));
		fire(chip, "dragstart"); fire(box, "dragover"); fire(box, "drop"); fire(chip, "dragend");
		return chip.textContent === %q;
	})()`, "Grace")) {
		t.Fatal("Grace's chip is not in the /org-red box")
	}
	where(grace, "room-2")
	where(ada, "room-3")
}

// fill types into a field and submits its form (in a background tab, where input events are not
// delivered, like a user pressing Enter). The submit runs after the evaluation has returned: a
// form that navigates would otherwise take the evaluation's context away with it.
func fill(t *testing.T, ctx context.Context, testid, value string) {
	t.Helper()
	browsertest.Eval[bool](t, ctx, fmt.Sprintf(`(() => {
		const el = document.querySelector("[data-testid=%s]");
		el.value = %q;
		setTimeout(() => el.form.requestSubmit());
		return true;
	})()`, testid, value))
}

// TestBrowserClassroomCode: the instructor runs their own server code from the presenter view; a
// student's device reconnects to it by itself, says so, and shows what the program emits; the
// projector shows the code at 24 px or more at 1920×1080 and the program's console; a syntax
// error is marked at its line; "Back to the class chat" restores the chat; the instructor can hide
// their controls from the wall.
func TestBrowserClassroomCode(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	_, base := newClassTestApp(t)
	present := browsertest.Browser(t)
	browsertest.Do(t, present, "projector size", chromedp.EmulateViewport(1920, 1080))
	browsertest.Do(t, present, "open the playground", chromedp.Navigate(base+"/playground"))
	browsertest.Do(t, present, "start a class", chromedp.Click(chromedp.CSS(`[data-testid=class-start-button]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=class-joinbox]`)))
	e2eWait(t, present, `document.querySelector("[data-testid=class-status]")?.textContent.includes("live")`)
	code := browsertest.Eval[string](t, present, `document.querySelector("[data-testid=class-code]").textContent`)
	ada := joinClass(t, present, base, code, "Ada")
	e2eWait(t, present, `document.querySelector("[data-testid=class-count]").textContent === "1"`)

	// The editor starts with the class chat as JavaScript.
	e2eWait(t, present, `!document.querySelector("[data-testid=class-code-panel]").hidden && document.querySelector("[data-testid=code-editor] textarea")?.value.includes('io.emit("msg"')`)
	setCode := func(src string) {
		t.Helper()
		browsertest.Eval[bool](t, present, fmt.Sprintf(`(() => {
			const ta = document.querySelector("[data-testid=code-editor] textarea");
			ta.value = %q;
			ta.dispatchEvent(new Event("input", {bubbles: true}));
			document.querySelector("[data-testid=code-run]").click();
			return true;
		})()`, src))
	}

	// A syntax error: marked at its line, the class keeps its chat.
	setCode("io.on(\"connection\", (socket) => {\n  socket.emit(\"x\",;\n});\n")
	e2eWait(t, present, `document.querySelector("[data-testid=code-msg]").hasAttribute("data-error") && document.querySelector("[data-testid=code-msg]").textContent.includes("SyntaxError")`)
	if line := browsertest.Eval[int](t, present, `[...document.querySelectorAll("[data-testid=code-editor] .ce-ln-error")].map(e => Number(e.textContent))[0] ?? 0`); line != 2 {
		t.Errorf("error marked at line %d, want 2", line)
	}
	if got := browsertest.Eval[string](t, present, `document.querySelector("[data-testid=code-mode]").textContent`); got != "built-in class chat" {
		t.Errorf("mode after a syntax error = %q", got)
	}

	const program = `io.on("connection", (socket) => {
  const name = socket.handshake.auth.name;
  console.log("greeting " + name);
  socket.emit("hello", "Hi " + name + ", this is the instructor's server");
  socket.on("say", ({ text }, ack) => {
    io.emit("shout", text.toUpperCase());
    ack({ call: "io.emit(\"shout\", …)" });
  });
});
`
	setCode(program)
	e2eWait(t, present, `document.querySelector("[data-testid=code-msg]").textContent.includes("running") && document.querySelector("[data-testid=code-mode]").textContent === "your code is running"`)
	// Ada's device reconnects by itself, says the server restarted, and shows the program's emit.
	e2eWait(t, ada, `[...document.querySelectorAll("[data-msg-text]")].some(e => e.textContent === 'hello "Hi Ada, this is the instructor\'s server"')`)
	e2eWait(t, ada, `document.querySelector("[data-student-status]").textContent.includes("server restarted")`)
	fill(t, ada, "say-text", "louder")
	e2eWait(t, ada, `[...document.querySelectorAll("[data-msg-text]")].some(e => e.textContent === 'shout "LOUDER"')`)
	e2eWait(t, present, `document.querySelector("[data-testid=class-console]").textContent.includes("greeting Ada")`)
	e2eWait(t, present, `document.querySelector("[data-testid=class-count]").textContent === "1"`) // still on the roster

	// Readable from the back of the room: the code at 24 px or more at 1920×1080.
	if px := browsertest.Eval[float64](t, present, `parseFloat(getComputedStyle(document.querySelector("[data-testid=code-editor] textarea")).fontSize)`); px < 24 {
		t.Errorf("projector code font %.1f px, want ≥ 24", px)
	}
	for _, theme := range []string{"light", "dark"} {
		browsertest.Eval[bool](t, present, fmt.Sprintf(`(document.documentElement.dataset.theme = %q, window.scrollTo(0, 0), true)`, theme))
		e2eScreenshot(t, present, "class-code-presenter-"+theme)
		browsertest.Eval[bool](t, ada, fmt.Sprintf(`(document.documentElement.dataset.theme = %q, true)`, theme))
		browsertest.Do(t, ada, "phone size", chromedp.EmulateViewport(360, 740))
		e2eScreenshot(t, ada, "class-code-student-"+theme)
	}
	if overflow := browsertest.Eval[bool](t, ada, `document.documentElement.scrollWidth > window.innerWidth + 1`); overflow {
		t.Errorf("student page scrolls sideways at 360 px")
	}

	// The wall: instructor-only controls hidden, the code stays.
	browsertest.Eval[bool](t, present, `(document.querySelector("[data-testid=wall-toggle]").click(), true)`)
	visible := `(sel) => { const e = document.querySelector(sel); return !!e && e.getClientRects().length > 0; }`
	if got := browsertest.Eval[[]bool](t, present, `(() => { const v = `+visible+`; return ["[data-testid=code-run]", "[data-testid=end]", "[data-testid=emit-send]", "[data-testid=code-editor]", "[data-testid=class-console]"].map(v); })()`); fmt.Sprint(got) != "[false false false true true]" {
		t.Errorf("on the wall, visible run/end/send/code/console = %v, want [false false false true true]", got)
	}
	browsertest.Eval[bool](t, present, `(document.documentElement.dataset.theme = "dark", window.scrollTo(0, 0), true)`)
	e2eScreenshot(t, present, "class-code-wall-dark")
	browsertest.Eval[bool](t, present, `(document.querySelector("[data-testid=wall-toggle]").click(), true)`)

	// Back to the class chat: Ada reconnects to it and chats again.
	browsertest.Eval[bool](t, present, `(document.querySelector("[data-testid=code-stop]").click(), true)`)
	e2eWait(t, present, `document.querySelector("[data-testid=code-msg]").textContent.includes("Back to the class chat") && document.querySelector("[data-testid=code-mode]").textContent === "built-in class chat"`)
	e2eWait(t, ada, `document.querySelector("[data-student-status]").textContent.includes("server restarted")`)
	fill(t, ada, "say-text", "chat again")
	e2eWait(t, ada, `[...document.querySelectorAll("[data-msg-text]")].some(e => e.textContent === "chat again")`)
}
