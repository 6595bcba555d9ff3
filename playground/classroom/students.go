package classroom

import (
	"errors"

	"socketlab/playground/socketio"
)

// What a student's sockets do: join on "/", say things (to everyone, their breakout room or their
// tenant namespace), and get an error for every control event they forge.

func (cl *Class) onStudent(s *socketio.Socket) {
	v, _ := s.Get("name")
	name, _ := v.(string)
	_, folded, _ := ValidateName(name)
	cl.mu.Lock()
	if cl.byName[folded] != "" || cl.ended {
		cl.mu.Unlock() // lost a race for the name
		s.Emit("refused", map[string]string{"error": "that name is taken in this class; pick another"})
		s.Disconnect(false)
		return
	}
	st := &student{id: s.ID(), name: name, folded: folded, s: s}
	cl.students[s.ID()] = st
	cl.byName[folded] = s.ID()
	// Back after a restart of the server (a restored class): the student's breakout room again.
	_, back := cl.awaited[folded]
	if back {
		if room := cl.awaited[folded].Room; validRoomOf(room, cl.rooms) {
			st.room = room
		}
		delete(cl.awaited, folded)
	}
	room := st.room
	welcome := map[string]any{"name": name, "code": cl.code, "locked": cl.locked, "follow": cl.follow, "rooms": []string{}}
	if back {
		welcome["back"] = true // the page says the server restarted and where the student is
		if room != "" {
			welcome["rooms"] = []string{room}
		}
	}
	cl.mu.Unlock()
	if room != "" {
		s.Join(room)
	}
	cl.changed()
	cl.in.Log().Info("a student joined", "nsp", "/", "client", name, "back", back)

	s.OnDisconnect(func(reason string) {
		cl.mu.Lock()
		if cl.students[s.ID()] == st {
			delete(cl.students, s.ID())
		}
		if cl.byName[folded] == s.ID() {
			delete(cl.byName, folded)
		}
		ts := st.tenantSock
		cl.mu.Unlock()
		if ts != nil {
			ts.Disconnect(false)
		}
		cl.changed()
	})
	if cl.codeRunning() {
		return // the instructor's program serves "/": its events and emits are the program's
	}
	s.On("say", func(e *socketio.Event) { cl.say(e, st, nil) })
	cl.refuseControls(s, name)
	s.Emit("welcome", welcome)
	if room != "" {
		cl.tellRooms(st)
	}
}

func (cl *Class) onTenant(s *socketio.Socket) {
	v, _ := s.Get("student")
	st := v.(*student)
	cl.mu.Lock()
	st.tenantSock = s
	cl.mu.Unlock()
	s.OnDisconnect(func(string) {
		cl.mu.Lock()
		if st.tenantSock == s {
			st.tenantSock = nil
		}
		cl.mu.Unlock()
	})
	nsp := s.Namespace()
	s.On("say", func(e *socketio.Event) { cl.say(e, st, nsp) })
	cl.refuseControls(s, st.name)
	s.Emit("welcome", map[string]any{"name": st.name, "nsp": nsp.Name()})
}

// refuseControls answers every control event a student's socket sends with an error ack: a
// forged control packet gets an error, never silence and never an effect.
func (cl *Class) refuseControls(s *socketio.Socket, name string) {
	nsp := s.Namespace().Name()
	for _, c := range controls {
		s.On(c.event, func(e *socketio.Event) {
			cl.in.Log().Warn("control event from a student refused", "nsp", nsp, "client", name, "event", c.event)
			e.AckError(ErrNotAuthorized)
		})
	}
}

type sayArgs struct {
	Text string `json:"text"`
}

// say relays a student's message: to their breakout room if they are in one, else to everyone;
// in a tenant namespace, to that namespace.
func (cl *Class) say(e *socketio.Event, st *student, tenant *socketio.Namespace) {
	var a sayArgs
	if e.Decode(0, &a) != nil {
		e.AckError(errors.New("say needs {text}"))
		return
	}
	text, err := checkText(a.Text)
	if err != nil {
		e.AckError(err)
		return
	}
	cl.mu.Lock()
	locked, room := cl.locked, st.room
	cl.mu.Unlock()
	if locked {
		e.AckError(ErrClassLocked)
		return
	}
	io := cl.in.IO()
	msg := map[string]any{"from": st.name, "text": text}
	var call string
	switch {
	case tenant != nil:
		msg["to"] = tenant.Name()
		tenant.Emit("msg", msg)
		call = `io.of("` + tenant.Name() + `").emit("msg", …)`
	case room != "":
		msg["to"] = room
		io.To(room).Emit("msg", msg)
		call = `io.to("` + room + `").emit("msg", …)`
	default:
		msg["to"] = "everyone"
		io.Emit("msg", msg)
		call = `io.emit("msg", …)`
	}
	e.Ack(map[string]string{"call": call})
}

// tellRooms sends a student the rooms and tenant they are in.
func (cl *Class) tellRooms(st *student) {
	cl.mu.Lock()
	rooms := []string{}
	if st.room != "" {
		rooms = append(rooms, st.room)
	}
	tenant := st.tenant
	cl.mu.Unlock()
	st.s.Emit("rooms", map[string]any{"rooms": rooms, "tenant": tenant})
}
