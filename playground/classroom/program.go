package classroom

import (
	"errors"
	"fmt"

	"socketlab/playground/socketio"
)

// The class's server code (issue 12 item 7): the instructor runs a socket.io 4 program on the
// class's own hub and the students' devices become its clients. Admission stays in Go: the code
// in the URL, the member cookie, names, bans and the class size are checked by studentMiddleware
// before the program's middleware sees a socket, the roster keeps every student, and "/instructor"
// and the tenant namespaces are out of the program's reach. Only "/"'s events, emits and rooms are
// the program's. Students never run code: "run" and "stop" exist only on "/instructor", behind the
// presenter key, like every control.

// StarterProgram is what the presenter's editor starts with: the class chat the students use,
// as a socket.io 4 server in JavaScript (classroom_test checks it behaves like the Go chat).
const StarterProgram = `// The class chat as a socket.io 4 server. Press Run: every student's
// device reconnects to this code. The class still checks codes and
// names first; socket.handshake.auth.name is the student's name.
io.on("connection", (socket) => {
  const name = socket.handshake.auth.name;
  console.log(name + " connected");

  socket.on("say", ({ text } = {}, ack) => {
    text = String(text || "").trim();
    if (!text) return ack?.({ error: "messages are 1 to 500 characters" });
    // A breakout room the instructor put this student in, if any.
    const room = [...socket.rooms].find((r) => r.startsWith("room-"));
    if (room) io.to(room).emit("msg", { from: name, text, to: room });
    else io.emit("msg", { from: name, text, to: "everyone" });
    ack?.({ call: room ? 'io.to("' + room + '").emit("msg", …)' : 'io.emit("msg", …)' });
  });

  socket.on("disconnect", (reason) => console.log(name + " left: " + reason));
});
`

// maxProgram is the largest program the instructor can run (the sandbox's own cap).
const maxProgram = 64 << 10

// reservedNamespace reports the namespaces a program may not open: the class keeps them in Go.
func reservedNamespace(name string) bool {
	return name == "/instructor" || tenantNamespace.MatchString(name)
}

// codeRunning reports whether the instructor's program serves "/" now.
func (cl *Class) codeRunning() bool { return cl.progs.Code() != "" }

// runCode runs the instructor's program; the students reconnect to it.
func (cl *Class) runCode(a controlArgs) (any, error) {
	if len(a.Code) > maxProgram {
		return nil, fmt.Errorf("the program is %d KiB; the limit is %d KiB", (len(a.Code)+1023)>>10, maxProgram>>10)
	}
	if cl.isEnded() {
		return nil, errClassEnded
	}
	if err := cl.progs.Run(a.Code); err != nil {
		return nil, err // a syntax error keeps its line and column (onInstructor)
	}
	n := cl.reconnectStudents()
	cl.in.Log().Info("the instructor's program runs", "nsp", "/", "reconnecting", n)
	return callInfo{
		JS:         `// your program now serves "/": every student's device reconnects to it`,
		Go:         `// the class's Go handlers keep admission, the roster and "/instructor"`,
		Recipients: n,
	}, nil
}

// stopCode goes back to the class chat; the students reconnect to it.
func (cl *Class) stopCode(controlArgs) (any, error) {
	if !cl.progs.Stop() {
		return nil, errors.New("no program is running: the class chat is already on")
	}
	n := cl.reconnectStudents()
	cl.in.Log().Info("back to the class chat", "nsp", "/", "reconnecting", n)
	return callInfo{JS: `// the class chat serves "/" again`, Go: `main.OnConnection(cl.onStudent)`, Recipients: n}, nil
}

// reconnectStudents closes the connection of every student on "/" (a transport close, as when a
// server restarts): their clients reconnect by themselves and meet the server that runs now. It
// returns how many there were.
func (cl *Class) reconnectStudents() int {
	cl.mu.Lock()
	socks := make([]*socketio.Socket, 0, len(cl.students))
	for _, st := range cl.students {
		socks = append(socks, st.s)
	}
	cl.mu.Unlock()
	for _, s := range socks {
		s.CloseConnection()
	}
	return len(socks)
}

func (cl *Class) isEnded() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.ended
}
