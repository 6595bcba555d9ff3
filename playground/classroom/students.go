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
	v, _ = s.Get("claim")
	claim, _ := v.(string)
	_, folded, _ := ValidateName(name)
	sv, _ := s.Get("seat")
	seat, _ := sv.(seatOf)
	cl.mu.Lock()
	// The device's seat it takes over (studentMiddleware): a reconnection, or another tab.
	var old *student
	if seat.device != "" {
		old = cl.students[cl.byDevice[seat.device]]
	}
	// The middleware's checks again, now under the same lock as the seat: sockets admitted at
	// the same time raced for the last places.
	var lost error
	switch holder := cl.byName[folded]; {
	case cl.ended:
		lost = errClassEnded
	case holder != "" && (old == nil || holder != old.id):
		lost = errNameTaken
	case cl.holds.takenFrom(folded, claim):
		lost = errNameHeld
	case old == nil && cl.seats[seat.addr] >= cl.cr.opts.SeatsPerAddress:
		lost = errSeatsPerAddress
	case old == nil && len(cl.students) >= cl.cr.opts.MaxStudents:
		lost = errClassFull
	}
	if lost != nil {
		cl.mu.Unlock()
		s.Emit("refused", map[string]string{"error": lost.Error()})
		s.Disconnect(false)
		return
	}
	if old != nil {
		cl.unseatLocked(old)
	}
	st := &student{id: s.ID(), name: name, folded: folded, s: s, device: seat.device, addr: seat.addr}
	cl.students[s.ID()] = st
	cl.byName[folded] = s.ID()
	cl.seats[st.addr]++
	if st.device != "" {
		cl.byDevice[st.device] = s.ID()
	}
	// Back under its claim within the hold (a reload, a dropped network), or the same device's
	// connection taking over its seat: the name is the student's again, and so is its room.
	keptRoom, rejoined := cl.holds.take(folded, claim)
	if old != nil {
		keptRoom, rejoined = old.room, true
	}
	// Back after a restart of the server (a restored class): the student's breakout room again.
	_, back := cl.awaited[folded]
	if back {
		keptRoom = cl.awaited[folded].Room
		delete(cl.awaited, folded)
	}
	if validRoomOf(keptRoom, cl.rooms) {
		st.room = keptRoom
	}
	room := st.room
	welcome := map[string]any{"name": name, "code": cl.code, "locked": cl.locked, "follow": cl.follow, "rooms": []string{}}
	if room != "" {
		welcome["rooms"] = []string{room}
	}
	if back {
		welcome["back"] = true // the page says the server restarted and where the student is
	} else if rejoined {
		welcome["rejoined"] = true // the page says where the student is again
	}
	cl.mu.Unlock()
	if room != "" {
		s.Join(room)
	}
	cl.changed()
	if rejoined && !back {
		// The projector shows it (class-present.js: onLog): who came back, and where.
		cl.in.Log().Info("a student reconnected", "nsp", "/", "client", name, "room", room)
	} else {
		cl.in.Log().Info("a student joined", "nsp", "/", "client", name, "back", back)
	}

	if old != nil {
		old.s.Emit("refused", map[string]string{"error": "you joined again from another tab or connection"})
		old.s.Disconnect(false)
	}
	s.OnDisconnect(func(reason string) {
		cl.mu.Lock()
		// A dropped connection keeps the name for the student a while; leaving on purpose
		// (or being removed, or replaced by the same device's new connection) frees it.
		held := cl.byName[folded] == s.ID()
		cl.unseatLocked(st)
		if held && !cl.ended && reason != "client namespace disconnect" && reason != "server namespace disconnect" {
			cl.holds.hold(folded, claim, st.room, 2*cl.cr.opts.MaxStudents)
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

// unseatLocked takes st's seat away (once: a seat taken over is not given back twice).
func (cl *Class) unseatLocked(st *student) {
	if cl.students[st.id] != st {
		return
	}
	delete(cl.students, st.id)
	if cl.byName[st.folded] == st.id {
		delete(cl.byName, st.folded)
	}
	if st.device != "" && cl.byDevice[st.device] == st.id {
		delete(cl.byDevice, st.device)
	}
	if cl.seats[st.addr]--; cl.seats[st.addr] <= 0 {
		delete(cl.seats, st.addr)
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

// SeatsFrom is how many seats the devices at client address addr hold.
func (cl *Class) SeatsFrom(addr string) int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.seats[addr]
}
