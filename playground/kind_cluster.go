package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"socketlab/playground/socketio"
	"socketlab/playground/socketio/redisadapter"
)

// The cluster demo: three servers (A, B, C) in one instance, each a hub of its own with the same
// handlers; a client picks its server with ?server=NAME. The adapter switch restarts the three
// with @socket.io/redis-adapter (redisadapter) on one broker, or back in memory, and a PSUBSCRIBE
// monitor on the broker shows every message the servers publish on the tap ("broker" messages).
var clusterKind = &Kind{
	Name:  "cluster",
	Title: "Three servers, one broker", Setup: setupCluster, JS: clusterJS, Show: []string{"cluster", "common"},
	Servers:  clusterServers,
	NewState: func() any { return &clusterState{} },
	StateLocked: func(st any, out map[string]any) {
		cs := st.(*clusterState)
		out["adapter"] = cs.on
		out["servers"] = clusterServers
		if cs.on {
			out["broker"] = map[string]any{"builtin": cs.broker.Builtin, "key": cs.key}
		}
	},
	Adapters: clusterAdapters,
	Close: func(in *Instance) {
		if m := in.kindState.(*clusterState).takeMonitor(in); m != nil {
			m.stop()
		}
	},
}

// clusterServers are the cluster demo's servers, in the order the page shows them.
var clusterServers = []string{"A", "B", "C"}

// clusterState is the cluster demo's state on an instance, guarded by the instance's mutex.
type clusterState struct {
	on      bool       // the servers share the broker
	key     string     // their channels' key on it, this instance's own
	broker  demoBroker // where they meet
	monitor *brokerMonitor
}

// fetchTimeout bounds a handler's fetchSockets across the servers.
const fetchTimeout = 2 * time.Second

// show:cluster
func setupCluster(in *Instance) { setupClusterOn(in, in.cur.Load()) }

// setupClusterOn installs the same handlers on each server: a deployment runs one program on
// every server.
func setupClusterOn(in *Instance, servers *running) {
	for _, srv := range servers.all() {
		io := srv.hub.IO
		io.Of("/").Use(in.allowEveryone)
		io.Of("/").OnConnection(func(s *socketio.Socket) {
			in.common(s) // join, leave, send: with the adapter on, their emits reach every server
			// broadcast {event, args, room?}: io.emit, or io.to(room).emit; with the adapter on,
			// published on the broker for the other servers.
			s.On("broadcast", func(e *socketio.Event) {
				req, args, ok := clusterEmit(e, "broadcast")
				if !ok {
					return
				}
				target := io.Of("/").To()
				if req.Room != "" {
					target = io.Of("/").To(req.Room)
				}
				if err := target.Emit(req.Event, args...); err != nil {
					e.AckError(err)
					return
				}
				e.Ack(map[string]any{"ok": true})
			})
			// local {event, args}: io.local.emit, this server's clients only, adapter or not.
			s.On("local", func(e *socketio.Event) {
				req, args, ok := clusterEmit(e, "local")
				if !ok {
					return
				}
				n := len(io.Local().FetchSockets())
				if err := io.Local().Emit(req.Event, args...); err != nil {
					e.AckError(err)
					return
				}
				e.Ack(map[string]any{"recipients": n})
			})
			// who: fetchSockets asks every server (a REMOTE_FETCH request on the broker) and acks
			// each socket's name and server, sorted.
			s.On("who", func(e *socketio.Event) {
				ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
				defer cancel()
				socks, err := io.FetchClusterSockets(ctx)
				if err != nil {
					e.AckError(err)
					return
				}
				e.Ack(whoList(socks))
			})
		})
	}
}

// clusterEmit reads an {event, args, room?} request, or answers with an error naming what.
func clusterEmit(e *socketio.Event, what string) (sendRequest, []any, bool) {
	var req sendRequest
	if err := e.Decode(0, &req); err != nil || req.Event == "" {
		e.AckError(fmt.Errorf("%s needs {event, args}", what))
		return req, nil, false
	}
	args := make([]any, len(req.Args)) // json.RawMessage values are sent byte for byte
	for i, a := range req.Args {
		args[i] = a
	}
	return req, args, true
}

// whoList is each socket's {name, server}, as its handshake says (auth.name; query.server,
// "A" without one), sorted by server then name.
func whoList(socks []socketio.RemoteSocket) []map[string]string {
	out := make([]map[string]string, 0, len(socks))
	for _, rs := range socks {
		var hs struct {
			Auth  struct{ Name string }   `json:"auth"`
			Query struct{ Server string } `json:"query"`
		}
		json.Unmarshal(rs.Handshake, &hs)
		if hs.Query.Server == "" {
			hs.Query.Server = "A"
		}
		out = append(out, map[string]string{"name": hs.Auth.Name, "server": hs.Query.Server})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i]["server"]+"\x00"+out[i]["name"] < out[j]["server"]+"\x00"+out[j]["name"]
	})
	return out
}

// show:end

const clusterJS = `// Servers A, B and C each run this program. With the adapter on, each was started with
//   const pubClient = createClient({ url: REDIS_URL }); // from "redis"
//   const subClient = pubClient.duplicate();
//   await Promise.all([pubClient.connect(), subClient.connect()]);
//   new Server(httpServer, { adapter: createAdapter(pubClient, subClient) }); // from "@socket.io/redis-adapter"
// and with it off, with no adapter option (the in-memory default).
io.use(allowEveryone);
io.on("connection", (socket) => {
  common(socket); // join, leave, send: with the adapter on, their emits reach every server
  // broadcast {event, args, room?}: io.emit, or io.to(room).emit; with the adapter on,
  // published on the broker for the other servers.
  socket.on("broadcast", (req, ack) => {
    const { event, args = [], room } = req ?? {};
    if (typeof event !== "string" || event === "") return ack({ error: "broadcast needs {event, args}" });
    (room ? io.to(room) : io).emit(event, ...args);
    ack({ ok: true });
  });
  // local {event, args}: io.local.emit, this server's clients only, adapter or not.
  socket.on("local", async (req, ack) => {
    const { event, args = [] } = req ?? {};
    if (typeof event !== "string" || event === "") return ack({ error: "local needs {event, args}" });
    const recipients = (await io.local.fetchSockets()).length;
    io.local.emit(event, ...args);
    ack({ recipients });
  });
  // who: fetchSockets asks every server (a REMOTE_FETCH request on the broker) and acks each
  // socket's name and server, sorted.
  socket.on("who", async (_, ack) => {
    let sockets;
    try {
      sockets = await io.fetchSockets();
    } catch (err) {
      return ack({ error: err.message });
    }
    const who = sockets.map((s) => ({ name: s.handshake.auth.name, server: s.handshake.query.server || "A" }));
    who.sort((a, b) => (a.server + "\0" + a.name < b.server + "\0" + b.name ? -1 : 1));
    ack(who);
  });
});
{{template "common"}}`

// clusterAdapters gives each server its own Redis adapter (its own two connections, as each
// Node server has its pubClient and subClient) on the broker, under the instance's key, while the
// switch is on.
func clusterAdapters(in *Instance) (*serverAdapters, error) {
	st := in.kindState.(*clusterState)
	in.mu.Lock()
	on, key, broker := st.on, st.key, st.broker
	in.mu.Unlock()
	if !on {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), adapterReadyTimeout)
	defer cancel()
	var conns []*redisadapter.Redis
	closeAll := func() {
		for _, r := range conns {
			r.Close()
		}
	}
	factory := map[string]socketio.AdapterFactory{}
	for _, name := range clusterServers {
		r, err := redisadapter.New(ctx, broker.URL, redisadapter.Options{
			Key: key, RequestsTimeout: fetchTimeout, Logger: in.log.With("server", name),
		})
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("server %s: %w", name, err)
		}
		conns = append(conns, r)
		factory[name] = r.Adapter
	}
	return &serverAdapters{
		factory: factory,
		ready: func(ctx context.Context) error {
			for _, r := range conns {
				if err := r.Ready(ctx); err != nil {
					return err
				}
			}
			return nil
		},
		close: closeAll,
	}, nil
}

// ErrOneServer is returned by SetAdapter on an instance of a kind with one server.
var ErrOneServer = errors.New("this demo has one server: it has no adapter to switch")

// SetAdapter switches the cluster demo's adapter: on, the servers restart with the Redis adapter
// on the broker (the -redis server, or the built-in stand-in) and a monitor shows what they
// publish; off, they restart in memory. Like RunCode it is a restart: the clients reconnect, and
// the program running (the kind's handlers or the student's code) runs again on each server.
func (in *Instance) SetAdapter(on bool) error {
	st, ok := in.kindState.(*clusterState)
	if !ok {
		return ErrOneServer
	}
	in.runMu.Lock()
	defer in.runMu.Unlock()
	if in.Closed() {
		return ErrInstanceClosed
	}
	in.mu.Lock()
	same, code := st.on == on, in.code
	in.mu.Unlock()
	if same {
		return nil
	}
	if on {
		if in.broker == nil {
			return errors.New("no broker for this demo")
		}
		broker, err := in.broker()
		if err != nil {
			return err
		}
		key := "demo-" + in.id[:8] + ":socket.io"
		mon, err := startBrokerMonitor(in, broker.URL, key)
		if err != nil {
			return err
		}
		in.mu.Lock()
		st.on, st.key, st.broker, st.monitor = true, key, broker, mon
		in.mu.Unlock()
	}
	var oldMonitor *brokerMonitor
	if !on {
		in.mu.Lock()
		st.on = false
		in.mu.Unlock()
		oldMonitor = st.takeMonitor(in)
	}
	adapters, err := in.kindAdapters()
	var next *running
	if err == nil {
		next, err = in.newServers(code, adapters)
	}
	if err != nil {
		if on {
			in.mu.Lock()
			st.on = false
			in.mu.Unlock()
			st.takeMonitor(in).stop()
		} else { // still on: the old servers keep running, and their monitor
			in.mu.Lock()
			st.on, st.monitor = true, oldMonitor
			in.mu.Unlock()
		}
		return err
	}
	if code == "" {
		setupClusterOn(in, next)
	}
	in.replaceServers(next, func() { oldMonitor.stop() })
	in.mu.Lock()
	in.publishStateLocked()
	in.mu.Unlock()
	if on {
		where := "the Redis server given with -redis"
		if st.broker.Builtin {
			where = "the built-in stand-in for Redis"
		}
		in.console("info", fmt.Sprintf("Adapter on: servers %v restarted with the Redis adapter on %s (key %q); the clients reconnect.", clusterServers, where, st.key))
	} else {
		in.console("info", fmt.Sprintf("Adapter off: servers %v restarted in memory, each on its own; the clients reconnect.", clusterServers))
	}
	return nil
}

// takeMonitor takes the broker monitor out of the state, for the caller to stop (nil: none).
func (st *clusterState) takeMonitor(in *Instance) *brokerMonitor {
	in.mu.Lock()
	defer in.mu.Unlock()
	m := st.monitor
	st.monitor = nil
	return m
}

// brokerMonitor is a PSUBSCRIBE on the instance's key: every message its servers publish, as the
// broker sees it, goes to the tap as a "broker" message (docs/play-api.md).
type brokerMonitor struct {
	client *redis.Client
	ps     *redis.PubSub
	done   chan struct{}
	once   sync.Once
}

func startBrokerMonitor(in *Instance, url, key string) (*brokerMonitor, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("broker URL: %w", err)
	}
	opts.DisableIdentity = true
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), adapterReadyTimeout)
	defer cancel()
	ps := client.PSubscribe(ctx, key+"*")
	if _, err := ps.Receive(ctx); err != nil { // the subscription, confirmed
		ps.Close()
		client.Close()
		return nil, fmt.Errorf("broker monitor: %w", err)
	}
	m := &brokerMonitor{client: client, ps: ps, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for msg := range ps.Channel(redis.WithChannelSize(256)) {
			out := map[string]any{
				"type": "broker", "time": time.Now().UTC().Format(time.RFC3339Nano),
				"channel": msg.Channel, "key": key, "bytes": len(msg.Payload),
			}
			if seen, err := redisadapter.Describe(key, msg.Channel, []byte(msg.Payload)); err == nil {
				out["kind"], out["nsp"], out["room"], out["request"], out["event"] = seen.Channel, seen.Nsp, seen.Room, seen.Type, seen.Event
			} else {
				out["err"] = err.Error()
			}
			if b, err := json.Marshal(out); err == nil {
				in.publish(b)
			}
		}
	}()
	return m, nil
}

func (m *brokerMonitor) stop() {
	if m == nil {
		return
	}
	m.once.Do(func() {
		m.ps.Close()
		<-m.done
		m.client.Close()
	})
}

// HandleAdapter switches instance {id}'s adapter (the cluster demo) with the JSON body
// {"on": true|false}: 200 {"adapter": on} once the servers accept connections again; 400 for a
// body without "on" or a demo with one server; 404 for an unknown or private instance; 429 when
// switched too often; 502 when the broker cannot be reached.
func (r *Registry) HandleAdapter() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		in := r.publicInstance(w, req)
		if in == nil {
			return
		}
		var body struct {
			On *bool `json:"on"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 1024)).Decode(&body); err != nil || body.On == nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `the body must be JSON: {"on": true} or {"on": false}`})
			return
		}
		if !in.runs.Allow() {
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "switched too often; wait a second"})
			return
		}
		in.touch()
		switch err := in.SetAdapter(*body.On); {
		case errors.Is(err, ErrOneServer):
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		case errors.Is(err, ErrInstanceClosed):
			writeJSON(w, http.StatusGone, map[string]string{"error": err.Error()})
		case err != nil:
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		default:
			writeJSON(w, http.StatusOK, map[string]any{"adapter": *body.On})
		}
	})
}
