package socketio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"socketlab/playground/socketio"
)

// client stands in for a browser: what the server sends is recorded, and
// what the browser sends goes to OnText/OnBinary as the Engine.IO adapter
// would do it.
type client struct {
	name string
	got  []string
	*socketio.Client
	onSend func(p *socketio.Packet)
}

var sidRE = regexp.MustCompile(`"(sid|pid)":"[^"]+"`)

func (c *client) Send(p *socketio.Packet) error {
	text := sidRE.ReplaceAllString(p.Text, `"$1":"…"`) // ids are random
	c.got = append(c.got, text)
	if c.onSend != nil {
		c.onSend(p)
	}
	return nil
}
func (c *client) Close(reason string) { c.Client.Closed(reason) }
func (c *client) Transport() string   { return "websocket" }

func connect(io *socketio.Server, name string) *client {
	c := &client{name: name}
	c.Client = io.Accept(c, socketio.Handshake{Address: "127.0.0.1"})
	return c
}

func (c *client) send(text string) { c.OnText([]byte(text)) }

func (c *client) print() {
	for _, g := range c.got {
		fmt.Printf("%s got %s\n", c.name, g)
	}
	c.got = nil
}

// The chat of the Socket.IO tutorial: io.on("connection", (socket) => {
// socket.on("chat message", (msg) => { io.emit("chat message", msg) }) }).
func Example() {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	io.OnConnection(func(s *socketio.Socket) {
		s.On("chat message", func(e *socketio.Event) {
			io.Emit("chat message", e.Args[0]) // arguments are raw JSON, relayed byte-exact
		})
	})

	alice, bob := connect(io, "alice"), connect(io, "bob")
	alice.send("0") // CONNECT to "/"
	bob.send("0")
	alice.send(`2["chat message","hello"]`)
	alice.print()
	bob.print()
	// Output:
	// alice got 0{"sid":"…"}
	// alice got 2["chat message","hello"]
	// bob got 0{"sid":"…"}
	// bob got 2["chat message","hello"]
}

// Rooms: socket.join("lobby"), socket.to("lobby").emit(...) (the sender is
// excluded), io.to("lobby").except("quiet").emit(...).
func ExampleSocket_Join() {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	io.OnConnection(func(s *socketio.Socket) {
		s.On("join", func(e *socketio.Event) {
			var room string
			if err := e.Decode(0, &room); err != nil {
				e.AckError(err)
				return
			}
			if err := s.Join(room); err != nil {
				e.AckError(err) // e.g. {"error":"limit exceeded"} past 32 rooms
				return
			}
			e.Ack("joined " + room)
		})
		s.On("say", func(e *socketio.Event) {
			s.To("lobby").Emit("said", e.Args[0])
		})
	})

	a, b, c := connect(io, "a"), connect(io, "b"), connect(io, "c")
	for _, cl := range []*client{a, b, c} {
		cl.send("0")
		cl.got = nil
	}
	a.send(`21["join","lobby"]`)
	b.send(`21["join","lobby"]`)
	c.send(`21["join","quiet"]`)
	a.send(`2["say","hi"]`)
	io.To("lobby", "quiet").Except("quiet").Emit("news", 1)
	for _, cl := range []*client{a, b, c} {
		cl.print()
	}
	// Output:
	// a got 31["joined lobby"]
	// a got 2["news",1]
	// b got 31["joined lobby"]
	// b got 2["said","hi"]
	// b got 2["news",1]
	// c got 31["joined quiet"]
}

// Middleware: nsp.use((socket, next) => next(new Error("not authorized"))).
func ExampleNamespace_Use() {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	admin := io.Of("/admin")
	admin.Use(func(s *socketio.Socket, next func(error)) {
		var auth struct {
			Token string `json:"token"`
		}
		if json.Unmarshal(s.Handshake().Auth, &auth) != nil || auth.Token != "let-me-in" {
			next(&socketio.ConnectError{Message: "not authorized", Data: map[string]string{"content": "Please retry later"}})
			return
		}
		next(nil)
	})
	admin.OnConnection(func(s *socketio.Socket) { s.Emit("welcome") })

	c := connect(io, "c")
	c.send(`0/admin,{"token":"wrong"}`)
	c.send(`0/admin,{"token":"let-me-in"}`)
	c.send(`0/unknown,`)
	c.print()
	// Output:
	// c got 4/admin,{"message":"not authorized","data":{"content":"Please retry later"}}
	// c got 0/admin,{"sid":"…"}
	// c got 2/admin,["welcome"]
	// c got 4/unknown,{"message":"Invalid namespace"}
}

// Dynamic namespaces: io.of(/^\/org-\w+$/) creates "/org-acme" on the first
// CONNECT; the parent's handlers apply and parent.emit reaches every child.
func ExampleServer_OfRegexp() {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	orgs := io.OfRegexp(regexp.MustCompile(`^/org-\w+$`))
	orgs.OnConnection(func(s *socketio.Socket) {
		s.Emit("hello", s.Namespace().Name())
	})

	c := connect(io, "c")
	c.send("0/org-acme,")
	orgs.Emit("announcement", "maintenance at noon")
	c.print()
	// Output:
	// c got 0/org-acme,{"sid":"…"}
	// c got 2/org-acme,["hello","/org-acme"]
	// c got 2/org-acme,["announcement","maintenance at noon"]
}

// Acknowledgements from the client: socket.emit("question", (answer) => ...)
// arrives with an id; e.Ack answers once.
func ExampleEvent_Ack() {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	io.OnConnection(func(s *socketio.Socket) {
		s.On("question", func(e *socketio.Event) {
			e.Ack("42")
		})
	})
	c := connect(io, "c")
	c.send("0")
	c.got = nil
	c.send(`27["question","life?"]`)
	c.print()
	// Output:
	// c got 37["42"]
}

// Acknowledgements from the server: await socket.timeout(1000).emitWithAck(...).
// Call it off the handler's goroutine: that goroutine delivers the reply.
func ExampleSocket_EmitWithAck() {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	socks := make(chan *socketio.Socket, 1)
	io.OnConnection(func(s *socketio.Socket) { socks <- s })

	c := connect(io, "c")
	c.send("0")
	c.onSend = func(p *socketio.Packet) { // this browser answers at once
		if p.Text == `20["ping"]` {
			go c.send(`30["pong"]`)
		}
	}
	s := <-socks
	reply, err := s.Timeout(time.Second).EmitWithAck(context.Background(), "ping")
	fmt.Println(string(reply.Args[0]), err)
	// Output:
	// "pong" <nil>
}

// Binary: []byte arguments travel as attachments; Values re-emits what was
// received, binary included.
func ExamplePayload_Values() {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	io.OnConnection(func(s *socketio.Socket) {
		s.On("upload", func(e *socketio.Event) {
			var file []byte
			e.Decode(0, &file)
			fmt.Printf("received %d bytes\n", len(file))
			s.Emit("echo", e.Values()...)
		})
	})
	c := connect(io, "c")
	c.send("0")
	c.got = nil
	c.send(`51-["upload",{"_placeholder":true,"num":0}]`)
	c.OnBinary([]byte{1, 2, 3})
	c.print()
	// Output:
	// received 3 bytes
	// c got 51-["echo",{"_placeholder":true,"num":0}]
}

// The observer: every connect, join, emit (with its recipients) and
// disconnect, for demo consoles.
func ExampleServer_Observe() {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	events, cancel := io.Observe(16)
	defer cancel()
	io.OnConnection(func(s *socketio.Socket) { s.Join("lobby") })

	c := connect(io, "c")
	c.send("0")
	io.To("lobby").Emit("tick", 1)
	c.Closed("transport close")
	for len(events) > 0 {
		ev := <-events
		fmt.Printf("%s room=%q recipients=%d reason=%q\n", ev.Kind, ev.Room, len(ev.Recipients), ev.Reason)
	}
	// Output:
	// connect room="" recipients=0 reason=""
	// join room="lobby" recipients=0 reason=""
	// event_out room="" recipients=1 reason=""
	// leave room="lobby" recipients=0 reason=""
	// disconnect room="" recipients=0 reason="transport close"
}
