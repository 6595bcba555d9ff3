package sandbox

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Each case runs a program, drives fake clients with raw Socket.IO packets and asserts what
// each client receives (socket ids masked as "…") and what the console shows.
func TestFacade(t *testing.T) {
	type peers map[string]*peer
	tests := []struct {
		name string
		code string
		do   func(t *testing.T, h *harness, p peers)
	}{
		{"chat: io.emit reaches everyone", `
io.on("connection", (socket) => {
  socket.on("chat", (msg) => io.emit("chat", msg));
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["chat","hi"]`)
			synctest.Wait()
			expect(t, p["A"], `42["chat","hi"]`)
			expect(t, p["B"], `42["chat","hi"]`)
		}},
		{"io.sockets is the main namespace, and a namespace's sockets is a Map (socket.nsp.sockets too)", `
io.on("connection", (socket) => {
  socket.on("who", () => {
    const m = socket.nsp.sockets;
    socket.emit("who", m instanceof Map, m.size, [...m.values()].every((s) => m.get(s.id) === s),
      io.sockets === io.of("/"), io.sockets.sockets instanceof Map, io !== io.of("/"), socket.nsp === io.of("/"));
  });
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["who"]`)
			synctest.Wait()
			expect(t, p["A"], `42["who",true,2,true,true,true,true,true]`)
		}},
		{"a volatile emit (or volatile broadcast) after another emit to the socket in the same callback skips it, as in Node", `
io.on("connection", (socket) => {
  socket.on("burst", () => {
    for (let i = 1; i <= 3; i++) socket.volatile.emit("v", i);
    socket.emit("plain");
    socket.volatile.emit("v", 4);
    setTimeout(() => socket.volatile.emit("v", 5), 10);
  });
  socket.on("bcast", () => {
    socket.emit("first");
    io.volatile.emit("b", 1);
  });
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["burst"]`)
			time.Sleep(20 * time.Millisecond)
			synctest.Wait()
			expect(t, p["A"], `42["v",1]`, `42["plain"]`, `42["v",5]`)
			p["A"].send(`42["bcast"]`)
			synctest.Wait()
			expect(t, p["A"], `42["first"]`)
			expect(t, p["B"], `42["b",1]`)
		}},
		{"io.local is a getter, as in socket.io: io.local.emit and io.to(r).local.emit reach this server's sockets", `
io.on("connection", (socket) => {
  socket.on("go", () => {
    socket.join("r");
    io.local.emit("all", typeof io.local);
    io.to("r").local.emit("room");
    socket.broadcast.local.emit("others");
  });
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["go"]`)
			synctest.Wait()
			expect(t, p["A"], `42["all","object"]`, `42["room"]`)
			expect(t, p["B"], `42["all","object"]`, `42["others"]`)
		}},
		{"socket.broadcast skips the sender", `
io.on("connect", (socket) => {
  socket.on("chat", (msg) => socket.broadcast.emit("chat", msg));
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["chat","hi"]`)
			synctest.Wait()
			expect(t, p["A"])
			expect(t, p["B"], `42["chat","hi"]`)
		}},
		{"incoming ack callback", `
io.on("connection", (socket) => {
  socket.on("sum", (a, b, cb) => cb(a + b, "ok"));
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`427["sum",1,2]`)
			synctest.Wait()
			expect(t, p["A"], `437[3,"ok"]`)
		}},
		{"rooms: join, to, live Set in join order", `
io.on("connection", (socket) => {
  socket.on("join", (room) => {
    socket.join([room, "all"]);
    socket.emit("rooms", [...socket.rooms].slice(1), socket.rooms.has(socket.id), socket.rooms instanceof Set);
  });
  socket.on("say", (room, msg) => socket.to(room).emit("say", msg));
  socket.on("leave", (room) => { socket.leave(room); socket.emit("rooms", [...socket.rooms].slice(1)); });
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["join","zebra"]`)
			p["B"].send(`42["join","apple"]`)
			synctest.Wait()
			expect(t, p["A"], `42["rooms",["zebra","all"],true,true]`)
			expect(t, p["B"], `42["rooms",["apple","all"],true,true]`)
			p["A"].send(`42["say","all","hello"]`)
			p["A"].send(`42["say","apple","x"]`)
			synctest.Wait()
			expect(t, p["A"])
			expect(t, p["B"], `42["say","hello"]`, `42["say","x"]`)
			p["B"].send(`42["leave","apple"]`)
			synctest.Wait()
			expect(t, p["B"], `42["rooms",["all"]]`)
		}},
		{"io.to/in/except operators", `
io.on("connection", (socket) => {
  socket.join(socket.handshake.auth.room);
  socket.on("go", () => {
    io.to("x").emit("to-x");
    io.in(["x", "y"]).except("y").emit("x-not-y");
    io.except("x").emit("not-x");
  });
});`, func(t *testing.T, h *harness, p peers) {
			c := h.dial("C")
			c.connect("/", `{"room":"x"}`)
			d := h.dial("D")
			d.connect("/", `{"room":"y"}`)
			p["A"].send(`42["go"]`)
			synctest.Wait()
			expect(t, c, `42["to-x"]`, `42["x-not-y"]`)
			expect(t, d, `42["not-x"]`)
		}},
		{"middleware next(err) with err.data, and handshake", `
io.use((socket, next) => {
  if (socket.handshake.auth.token !== "t") {
    const err = new Error("bad token");
    err.data = { hint: "send a token" };
    return next(err);
  }
  socket.data.user = "ada";
  next();
});
io.on("connection", (socket) => socket.emit("me", socket.data.user, socket.handshake.query.room, typeof socket.id, socket.connected, socket.handshake.address));`,
			func(t *testing.T, h *harness, p peers) {
				c := h.dial("C")
				got := c.connect("/", "")
				want := []string{`44{"message":"bad token","data":{"hint":"send a token"}}`}
				if !slices.Equal(got, want) {
					t.Fatalf("refused connect: got %q, want %q", got, want)
				}
				got = c.connect("/", `{"token":"t"}`)
				want = []string{`40{"sid":"…"}`, `42["me","ada","r1","string",true,"127.0.0.1"]`}
				if !slices.Equal(got, want) {
					t.Fatalf("accepted connect: got %q, want %q", got, want)
				}
			}},
		{"regex namespace: children inherit the parent's middleware", `
const tenants = io.of(/^\/tenant-\d+$/);
tenants.use((socket, next) => next(socket.nsp.name === "/tenant-9" ? new Error("closed") : undefined));
tenants.on("connection", (socket) => {
  socket.emit("hello", socket.nsp.name);
  socket.on("all", () => tenants.emit("all", socket.nsp.name));
});`, func(t *testing.T, h *harness, p peers) {
			c := h.dial("C")
			if got := c.connect("/tenant-1", ""); !slices.Equal(got, []string{`40/tenant-1,{"sid":"…"}`, `42/tenant-1,["hello","/tenant-1"]`}) {
				t.Fatalf("tenant-1: %q", got)
			}
			if got := c.connect("/tenant-2", ""); !slices.Equal(got, []string{`40/tenant-2,{"sid":"…"}`, `42/tenant-2,["hello","/tenant-2"]`}) {
				t.Fatalf("tenant-2: %q", got)
			}
			if got := c.connect("/tenant-9", ""); !slices.Equal(got, []string{`44/tenant-9,{"message":"closed"}`}) {
				t.Fatalf("tenant-9: %q", got)
			}
			if got := c.connect("/other", ""); !slices.Equal(got, []string{`44/other,{"message":"Invalid namespace"}`}) {
				t.Fatalf("other: %q", got)
			}
			c.send(`42/tenant-1,["all"]`)
			synctest.Wait()
			expect(t, c, `42/tenant-1,["all","/tenant-1"]`, `42/tenant-2,["all","/tenant-1"]`)
		}},
		{"static namespace and function namespace", `
io.of("/admin", (socket) => socket.emit("nsp", socket.nsp.name));
io.of((name, auth, next) => next(null, name.startsWith("/fn-") && auth.ok === true)).on("connection", (s) => s.emit("fn", s.nsp.name));`,
			func(t *testing.T, h *harness, p peers) {
				c := h.dial("C")
				if got := c.connect("/admin", ""); !slices.Equal(got, []string{`40/admin,{"sid":"…"}`, `42/admin,["nsp","/admin"]`}) {
					t.Fatalf("admin: %q", got)
				}
				if got := c.connect("/fn-1", `{"ok":true}`); !slices.Equal(got, []string{`40/fn-1,{"sid":"…"}`, `42/fn-1,["fn","/fn-1"]`}) {
					t.Fatalf("fn-1: %q", got)
				}
				if got := c.connect("/fn-2", `{"ok":false}`); !slices.Equal(got, []string{`44/fn-2,{"message":"Invalid namespace"}`}) {
					t.Fatalf("fn-2: %q", got)
				}
			}},
		{"socket.emit with ack callback, and socket.timeout", `
io.on("connection", (socket) => {
  socket.on("ask", () => {
    socket.emit("q1", 1, (answer) => socket.emit("a1", answer));
    socket.timeout(50).emit("q2", (err, answer) => socket.emit("a2", err ? err.message : answer));
  });
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["ask"]`)
			synctest.Wait()
			expect(t, p["A"], `420["q1",1]`, `421["q2"]`)
			p["A"].send(`430["yes"]`)
			synctest.Wait()
			expect(t, p["A"], `42["a1","yes"]`)
			time.Sleep(60 * time.Millisecond)
			synctest.Wait()
			expect(t, p["A"], `42["a2","operation has timed out"]`)
		}},
		{"emitWithAck with async/await, resolved and timed out", `
io.on("connection", (socket) => {
  socket.on("go", async () => {
    try {
      const r = await socket.timeout(100).emitWithAck("q", 7);
      socket.emit("r", r);
    } catch (e) {
      socket.emit("r", "failed: " + e.message);
    }
  });
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["go"]`)
			synctest.Wait()
			expect(t, p["A"], `420["q",7]`)
			p["A"].send(`430[{"v":8}]`)
			synctest.Wait()
			expect(t, p["A"], `42["r",{"v":8}]`)
			p["A"].send(`42["go"]`)
			synctest.Wait()
			expect(t, p["A"], `421["q",7]`)
			time.Sleep(110 * time.Millisecond)
			synctest.Wait()
			expect(t, p["A"], `42["r","failed: operation has timed out"]`)
		}},
		{"io.timeout(ms).emit with responses, and emitWithAck", `
io.on("connection", (socket) => {
  socket.on("poll", () => {
    io.timeout(100).emit("vote", (err, responses) => io.emit("votes", err && err.message, responses));
  });
  socket.on("poll2", async () => {
    const responses = await io.timeout(100).emitWithAck("vote2");
    socket.emit("votes2", responses.sort());
  });
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["poll"]`)
			synctest.Wait()
			expect(t, p["A"], `420["vote"]`)
			expect(t, p["B"], `420["vote"]`)
			p["A"].send(`430["yes"]`)
			time.Sleep(110 * time.Millisecond)
			synctest.Wait()
			expect(t, p["A"], `42["votes","operation has timed out",["yes"]]`)
			expect(t, p["B"], `42["votes","operation has timed out",["yes"]]`)
			p["A"].send(`42["poll2"]`)
			synctest.Wait()
			expect(t, p["A"], `421["vote2"]`)
			expect(t, p["B"], `421["vote2"]`)
			p["A"].send(`431["a"]`)
			p["B"].send(`431["b"]`)
			synctest.Wait()
			expect(t, p["A"], `42["votes2",["a","b"]]`)
		}},
		{"fetchSockets, socketsJoin, disconnectSockets", `
io.on("connection", async (socket) => {
  socket.on("count", async () => {
    const all = await io.fetchSockets();
    io.socketsJoin("everyone");
    const inRoom = await io.in("everyone").fetchSockets();
    socket.emit("count", all.length, inRoom.length, all.some((s) => s === socket));
  });
  socket.on("kick", () => io.except(socket.id).disconnectSockets());
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["count"]`)
			synctest.Wait()
			expect(t, p["A"], `42["count",2,2,true]`)
			p["A"].send(`42["kick"]`)
			synctest.Wait()
			expect(t, p["B"], `41`)
			expect(t, p["A"])
		}},
		{"timers: setTimeout with args, setInterval and clearInterval", `
let n = 0;
const t = setInterval(() => { n++; io.emit("tick", n); if (n === 3) clearInterval(t); }, 100);
setTimeout((a, b) => io.emit("later", a + b), 250, 2, 3);
const never = setTimeout(() => io.emit("never"), 10);
clearTimeout(never);`, func(t *testing.T, h *harness, p peers) {
			time.Sleep(1 * time.Second)
			synctest.Wait()
			expect(t, p["A"], `42["tick",1]`, `42["tick",2]`, `42["later",5]`, `42["tick",3]`)
		}},
		{"values as Node's JSON: undefined, Dates, functions, toJSON", `
io.on("connection", (socket) => {
  socket.on("v", () => socket.emit("v", [undefined, 1, () => 1], new Date(0), { a: undefined, f() {}, b: NaN }, undefined, { toJSON() { return "j"; } }));
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["v"]`)
			synctest.Wait()
			expect(t, p["A"], `42["v",[null,1,null],"1970-01-01T00:00:00.000Z",{"b":null},null,"j"]`)
		}},
		{"binary both ways", `
io.on("connection", (socket) => {
  socket.on("up", (b, meta) => socket.emit("got", b instanceof Uint8Array, b.length, b[1], meta.f instanceof Uint8Array));
  socket.on("down", () => socket.emit("bin", new Uint8Array([1, 2]), { x: new Uint8Array([9, 8, 7]).subarray(1).buffer.slice(1, 3) }));
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`452-["up",{"_placeholder":true,"num":0},{"f":{"_placeholder":true,"num":1}}]`)
			p["A"].c.OnBinary([]byte{5, 6})
			p["A"].c.OnBinary([]byte{7})
			synctest.Wait()
			expect(t, p["A"], `42["got",true,2,6,true]`)
			p["A"].send(`42["down"]`)
			synctest.Wait()
			expect(t, p["A"], `452-["bin",{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]`)
			p["A"].mu.Lock()
			bins := p["A"].bins
			p["A"].mu.Unlock()
			if len(bins) != 2 || string(bins[0]) != "\x01\x02" || string(bins[1]) != "\x08\x07" {
				t.Fatalf("attachments %v", bins)
			}
		}},
		{"disconnecting sees rooms, disconnect has the reason", `
io.on("connection", (socket) => {
  socket.join("r");
  socket.on("disconnecting", (reason) => io.emit("leaving", reason, [...socket.rooms].slice(1)));
  socket.on("disconnect", (reason) => io.emit("left", reason, socket.connected, socket.rooms.size));
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`41`)
			synctest.Wait()
			expect(t, p["B"], `42["leaving","client namespace disconnect",["r"]]`, `42["left","client namespace disconnect",false,0]`)
		}},
		{"once, off, onAny, offAny", `
io.on("connection", (socket) => {
  const log = (...a) => socket.emit("log", ...a);
  const any = (ev) => log("any", ev);
  socket.onAny(any);
  socket.once("x", () => log("once"));
  const h = () => log("h");
  socket.on("x", h);
  socket.on("off", () => { socket.off("x", h); socket.offAny(any); });
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["x"]`)
			p["A"].send(`42["x"]`)
			p["A"].send(`42["off"]`)
			p["A"].send(`42["x"]`)
			synctest.Wait()
			expect(t, p["A"], `42["log","any","x"]`, `42["log","once"]`, `42["log","h"]`, `42["log","any","x"]`, `42["log","h"]`, `42["log","any","off"]`)
		}},
		{"socket.data persists between events; socket.disconnect()", `
io.on("connection", (socket) => {
  socket.on("set", (v) => { socket.data.v = v; });
  socket.on("get", () => socket.emit("data", socket.data));
  socket.on("bye", () => socket.disconnect());
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["set",[1,2]]`)
			p["A"].send(`42["get"]`)
			p["A"].send(`42["bye"]`)
			synctest.Wait()
			expect(t, p["A"], `42["data",{"v":[1,2]}]`, `41`)
		}},
		{"console formatting and uncaught exceptions keep the server serving", `
console.log("hi %s", "x", { a: 1, "b-c": [1, "s"] }, [1, 2], new Set(["a"]), undefined, null);
io.on("connection", (socket) => {
  socket.on("boom", () => {
    null.x;
  });
  socket.on("ok", () => socket.emit("ok"));
});`, func(t *testing.T, h *harness, p peers) {
			want := `log: hi x { a: 1, 'b-c': [ 1, 's' ] } [ 1, 2 ] Set(1) { 'a' } undefined null`
			if got := h.takeConsole(); !slices.Equal(got, []string{want}) {
				t.Fatalf("console %q, want %q", got, want)
			}
			p["A"].send(`42["boom"]`)
			p["A"].send(`42["ok"]`)
			synctest.Wait()
			expect(t, p["A"], `42["ok"]`)
			got := joinLines(h.takeConsole())
			if !strings.Contains(got, "error: Uncaught server.js:5:") || !strings.Contains(got, "TypeError") {
				t.Fatalf("console %q", got)
			}
		}},
		{"refusals name what is missing", `
io.on("connection", (socket) => {
  socket.on("try", (what) => {
    try {
      ({ engine: () => io.engine, request: () => socket.request, sse: () => io.serverSideEmit("x"), process: () => process.env })[what]();
    } catch (e) {
      socket.emit("err", e.message);
    }
  });
  socket.on("reserved", () => { try { socket.emit("disconnect"); } catch (e) { socket.emit("err", e.message); } });
});`, func(t *testing.T, h *harness, p peers) {
			for _, w := range []string{"engine", "request", "sse", "process"} {
				p["A"].send(`42["try","` + w + `"]`)
			}
			p["A"].send(`42["reserved"]`)
			synctest.Wait()
			expect(t, p["A"],
				`42["err","io.engine is not available in Socket Lab: the Engine.IO layer belongs to Socket Lab's hub"]`,
				`42["err","socket.request is not available in Socket Lab: there is no HTTP request object; use socket.handshake"]`,
				`42["err","namespace.serverSideEmit is not available in Socket Lab: there is only one server (socketlab run -redis URL shares its namespaces with other servers)"]`,
				`42["err","process is not available in Socket Lab: the server runs inside Socket Lab, not as a Node process"]`,
				`42["err","\"disconnect\" is a reserved event name"]`)
		}},
		{"adapter.rooms and sids, onAnyOutgoing, setImmediate, fetchSockets in join order", `
io.on("connection", (socket) => {
  socket.onAnyOutgoing((ev, ...args) => console.log("out", ev, args.length));
  socket.on("join", (room) => socket.join(room));
  socket.on("look", async (room) => {
    const a = io.of("/").adapter;
    const members = await io.in(room).fetchSockets();
    setImmediate((x) => socket.emit("look", a.rooms.get(room).size, a.sids.get(socket.id).has(room), members.map((s) => s.data.n), x), "later");
  });
  socket.on("name", (n) => { socket.data.n = n; });
});`, func(t *testing.T, h *harness, p peers) {
			p["B"].send(`42["name","b"]`)
			p["A"].send(`42["name","a"]`)
			p["B"].send(`42["join","r"]`)
			p["A"].send(`42["join","r"]`)
			p["A"].send(`42["look","r"]`)
			synctest.Wait()
			expect(t, p["A"], `42["look",2,true,["b","a"],"later"]`)
			if got := h.takeConsole(); !slices.Equal(got, []string{"log: out look 4"}) {
				t.Fatalf("console %q", got)
			}
		}},
		{"unhandled promise rejection goes to the console", `
io.on("connection", (socket) => {
  socket.on("x", async () => { throw new Error("nope"); });
});`, func(t *testing.T, h *harness, p peers) {
			p["A"].send(`42["x"]`)
			got := joinLines(h.takeConsole())
			if !strings.Contains(got, "Unhandled promise rejection") || !strings.Contains(got, "Error: nope") {
				t.Fatalf("console %q", got)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Options{})
				h.run(tc.code, Options{})
				p := peers{"A": h.dial("A"), "B": h.dial("B")}
				for _, name := range []string{"A", "B"} {
					got := p[name].connect("/", `{"token":"t"}`)
					if len(got) == 0 || got[0] != `40{"sid":"…"}` {
						t.Fatalf("%s connect: %q", name, got)
					}
				}
				p["A"].take()
				p["B"].take()
				tc.do(t, h, p)
			})
		})
	}
}

func expect(t *testing.T, p *peer, want ...string) {
	t.Helper()
	got := p.take()
	if !slices.Equal(got, want) {
		t.Fatalf("%s got\n  %q\nwant\n  %q", p.name, got, want)
	}
}
