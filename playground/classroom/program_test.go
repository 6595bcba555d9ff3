package classroom

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"socketlab/playground/wsclient"
)

// rejoin dials a student again after their connection was closed for a restart, as their device
// does by itself, and returns the new client once connected (no welcome: a program serves "/").
func (f *classFixture) rejoin(name string) *wsclient.Client {
	f.t.Helper()
	c := f.dial()
	got, err := c.ConnectNsp("/", fmt.Sprintf(`{"name":%q,"code":%q,"claim":%q}`, name, f.cl.Code(), testClaim(name)))
	if err != nil || !strings.HasPrefix(got, "0{") {
		f.t.Fatalf("%s reconnect = %q, %v", name, got, err)
	}
	return c
}

// closedForRestart asserts that c's connection was closed as a restart: no DISCONNECT packet
// (which would stop a real client from reconnecting), then the end of the connection.
func closedForRestart(t *testing.T, name string, c *wsclient.Client) {
	t.Helper()
	for {
		p, err := c.Next(5 * time.Second)
		if err != nil {
			if !strings.Contains(err.Error(), "closed") {
				t.Fatalf("%s: connection not closed: %v", name, err)
			}
			return
		}
		if strings.HasPrefix(p, "1") {
			t.Fatalf("%s got a DISCONNECT packet %q: the client would not reconnect", name, p)
		}
	}
}

const echoProgram = `io.use((socket, next) => {
  if (socket.handshake.auth.name === "Bob") return next(new Error("no Bobs in my program"));
  next();
});
io.on("connection", (socket) => {
  socket.emit("hello", "from JS to " + socket.handshake.auth.name);
  socket.on("double", (x, ack) => {
    ack(x * 2);
    socket.broadcast.emit("doubled", socket.handshake.auth.name);
  });
  socket.on("run", (x, ack) => ack("the program got it"));
  console.log("hello from the program");
});
`

// TestClassProgram: the instructor runs a program; the students' devices reconnect to it and see
// its behaviour, while admission (code, names, bans) and the instructor channel stay in Go; a
// syntax error comes back with its line and column and changes nothing; stop restores the chat.
func TestClassProgram(t *testing.T) {
	f, ada, _, grace, _ := newClassWithTwo(t)

	t.Run("a student cannot run code", func(t *testing.T) {
		res := f.control(ada, "/", "run", map[string]any{"token": f.tok, "code": echoProgram})
		if res["error"] != ErrNotAuthorized.Error() {
			t.Errorf("student's run ack = %v, want %q", res, ErrNotAuthorized)
		}
		// Nor through the playground's HTTP endpoint: a class's instance is private.
		if status, body := httpStatus(t, "POST", f.srv+"/play/"+f.cl.in.ID()+"/code", `{"code":"io.on('connection', s => s.emit('pwned'))"}`); status != 404 {
			t.Errorf("POST /play/{class instance}/code = %d %s, want 404", status, body)
		}
		if f.cl.progs.Code() != "" {
			t.Fatal("a student's run event started a program")
		}
	})

	t.Run("syntax error", func(t *testing.T) {
		res := f.control(f.inst, "/instructor", "run", map[string]any{"token": f.tok, "code": "io.on(\"connection\", (socket) => {\n  socket.emit(\"x\",;\n});"})
		if res["line"] != float64(2) || res["col"] == nil || !strings.Contains(fmt.Sprint(res["error"]), "SyntaxError") {
			t.Errorf("syntax error ack = %v, want line 2 with a column", res)
		}
		if f.cl.progs.Code() != "" {
			t.Error("a program that does not compile is running")
		}
		// The chat still works for the connected students.
		f.control(ada, "/", "say", map[string]any{"text": "still chatting"})
		if got := msgs(grace, 300*time.Millisecond); !slices.Contains(got, "still chatting") {
			t.Errorf("Grace got %q after the failed run", got)
		}
	})

	t.Run("exception at the top level", func(t *testing.T) {
		res := f.control(f.inst, "/instructor", "run", map[string]any{"token": f.tok, "code": "// fine\nconst a = null;\na.b = 1;\n"})
		if res["line"] != float64(3) || !strings.Contains(fmt.Sprint(res["error"]), "TypeError") {
			t.Errorf("top-level exception ack = %v, want a TypeError at line 3", res)
		}
		if f.cl.progs.Code() != "" {
			t.Error("a program that throws at its top level is running")
		}
	})

	t.Run("too large", func(t *testing.T) {
		res := f.control(f.inst, "/instructor", "run", map[string]any{"token": f.tok, "code": strings.Repeat(" ", maxProgram+1)})
		if !strings.Contains(fmt.Sprint(res["error"]), "limit is 64 KiB") {
			t.Errorf("ack = %v, want the size limit", res)
		}
	})

	res := f.ctl("run", map[string]any{"code": echoProgram})
	if res["recipients"] != float64(2) {
		t.Errorf("run ack = %v, want 2 students reconnecting", res)
	}
	closedForRestart(t, "Ada", ada)
	closedForRestart(t, "Grace", grace)
	ada = f.rejoin("Ada")
	if p, err := ada.WaitFor(`2["hello"`, 5*time.Second); err != nil || p != `2["hello","from JS to Ada"]` {
		t.Fatalf("Ada's greeting from the program = %q, %v", p, err)
	}
	grace = f.rejoin("Grace")
	grace.WaitFor(`2["hello"`, 5*time.Second)
	grace.Send(`2777["double",21]`)
	if p, err := grace.WaitFor("3777", 5*time.Second); err != nil || p != "3777[42]" {
		t.Errorf("Grace's ack from the program = %q, %v", p, err)
	}
	if p, err := ada.WaitFor(`2["doubled"`, 5*time.Second); err != nil || p != `2["doubled","Grace"]` {
		t.Errorf("Ada's broadcast from the program = %q, %v", p, err)
	}
	if info := f.ctl("info", nil); info["program"] != echoProgram {
		t.Errorf("info.program = %q, want the running program", info["program"])
	}

	t.Run("the program has the student's events, a student still cannot run code", func(t *testing.T) {
		ada.Send(`2778["run",{"token":"` + f.tok + `","code":"io.on('connection', s => s.emit('pwned'))"}]`)
		if p, err := ada.WaitFor("3778", 5*time.Second); err != nil || p != `3778["the program got it"]` {
			t.Errorf("ack = %q, %v: the program's own handler should answer", p, err)
		}
		if f.cl.progs.Code() != echoProgram {
			t.Error("a student's run event replaced the program")
		}
	})

	t.Run("admission still enforced", func(t *testing.T) {
		for _, tt := range []struct{ auth, want string }{
			{`{"name":"Eve","code":"ABCDEF"}`, "wrong class code"},
			{`{"name":"ada","code":"` + f.cl.Code() + `"}`, "that name is taken"},
			{`{"name":"Instructor","code":"` + f.cl.Code() + `"}`, "reserved"},
			{`{"name":"Bob","code":"` + f.cl.Code() + `"}`, "no Bobs in my program"}, // the program's middleware, after the class's
		} {
			got, err := f.dial().ConnectNsp("/", tt.auth)
			if err != nil || !strings.HasPrefix(got, "4") || !strings.Contains(got, tt.want) {
				t.Errorf("connect %s = %q, %v; want refused with %q", tt.auth, got, err, tt.want)
			}
		}
		// The program may not open the class's own namespaces.
		res := f.control(f.inst, "/instructor", "run", map[string]any{"token": f.tok, "code": `io.of("/instructor").on("connection", (s) => console.log(s.handshake.auth.token));`})
		if !strings.Contains(fmt.Sprint(res["error"]), "reserved by the class") {
			t.Errorf("a program opening /instructor: ack %v", res)
		}
		// A kicked student is refused while the program runs.
		_, graceID := f.cl.idOf("Grace")
		f.ctl("kick", map[string]any{"student": graceID})
		if got, _ := f.dial().ConnectNsp("/", `{"name":"Grace","code":"`+f.cl.Code()+`"}`); !strings.Contains(got, "removed by the instructor") {
			t.Errorf("kicked Grace reconnecting: %q", got)
		}
		if n := f.cl.Students(); n != 1 {
			t.Errorf("roster has %d students, want Ada only", n)
		}
	})

	res = f.ctl("stop", nil)
	if res["recipients"] != float64(1) {
		t.Errorf("stop ack = %v, want Ada reconnecting", res)
	}
	closedForRestart(t, "Ada", ada)
	ada, _ = f.student("Ada") // the chat's welcome again
	linus, _ := f.student("Linus")
	f.control(linus, "/", "say", map[string]any{"text": "chat is back"})
	if got := msgs(ada, 300*time.Millisecond); !slices.Contains(got, "chat is back") {
		t.Errorf("Ada got %q after stop", got)
	}
	if got := f.control(f.inst, "/instructor", "stop", map[string]any{"token": f.tok}); !strings.Contains(fmt.Sprint(got["error"]), "no program is running") {
		t.Errorf("second stop: %v", got)
	}
}

// TestClassStarterProgram: the editor's starter program is the class chat: the same messages to
// the same students as the Go chat, in the main room and in a breakout room.
func TestClassStarterProgram(t *testing.T) {
	f, _, _, _, _ := newClassWithTwo(t)
	f.ctl("run", map[string]any{"code": StarterProgram})
	ada, grace, linus := f.rejoin("Ada"), f.rejoin("Grace"), f.rejoin("Linus")
	_, adaID := f.cl.idOf("Ada")
	_, graceID := f.cl.idOf("Grace")
	if got := f.control(ada, "/", "say", map[string]any{"text": "hi all"}); got["call"] != `io.emit("msg", …)` {
		t.Errorf("say ack = %v", got)
	}
	for name, c := range map[string]*wsclient.Client{"Ada": ada, "Grace": grace, "Linus": linus} {
		if p, err := c.WaitFor(`2["msg"`, 5*time.Second); err != nil || p != `2["msg",{"from":"Ada","text":"hi all","to":"everyone"}]` {
			t.Errorf("%s got %q, %v", name, p, err)
		}
	}
	f.ctl("openRooms", map[string]any{"rooms": 1})
	f.ctl("move", map[string]any{"student": adaID, "room": "room-1"})
	f.ctl("move", map[string]any{"student": graceID, "room": "room-1"})
	drain(ada, 100*time.Millisecond)
	drain(grace, 0)
	f.control(grace, "/", "say", map[string]any{"text": "in the room"})
	if p, err := ada.WaitFor(`2["msg"`, 5*time.Second); err != nil || p != `2["msg",{"from":"Grace","text":"in the room","to":"room-1"}]` {
		t.Errorf("Ada got %q, %v", p, err)
	}
	if got := msgs(linus, 300*time.Millisecond); len(got) != 0 {
		t.Errorf("Linus, in the main room, got %q", got)
	}
	if got := f.control(ada, "/", "say", map[string]any{"text": "  "}); got["error"] == nil {
		t.Errorf("empty say ack = %v, want an error", got)
	}
}

// idOf is the socket id of the student named name on "/".
func (cl *Class) idOf(name string) (bool, string) {
	_, folded, _ := ValidateName(name)
	cl.mu.Lock()
	defer cl.mu.Unlock()
	id := cl.byName[folded]
	return id != "", id
}
