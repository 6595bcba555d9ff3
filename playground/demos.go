// Package playground runs the live demos: one isolated Socket.IO hub per demo instance, the demo
// kinds that run on it (kind.go), and the glue between the Engine.IO and Socket.IO layers.
package playground

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Limits on a demo's configuration; a lesson that exceeds them does not load.
const (
	MaxDemoClients = 12
	maxNameLen     = 64
	maxListLen     = 32
	maxScriptSteps = 64
)

// DemoConfig is the YAML body of a ```demo block (docs/demos.md), decoded strictly.
type DemoConfig struct {
	Title      string          `json:"title,omitempty"`
	Clients    []ClientConfig  `json:"clients,omitempty"`
	Namespaces []string        `json:"namespaces,omitempty"`
	Rooms      []string        `json:"rooms,omitempty"`
	Tenants    []TenantConfig  `json:"tenants,omitempty"`
	Event      string          `json:"event,omitempty"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	Script     []Step          `json:"script,omitempty"`
	Predict    *Prediction     `json:"predict,omitempty"`
	// Outcome is a predict-the-outcome check: a scenario, a question and choices the page grades
	// by what it observes while the scenario plays.
	Outcome *OutcomePrediction `json:"outcome,omitempty"`
	// Adapter starts the cluster demo with its servers sharing the broker (the switch on).
	Adapter bool `json:"adapter,omitempty"`
	// Controls are the parts of the widget the lesson uses (DemoControls); nil: all of them.
	// An empty list keeps the script or the prediction, the columns and "who got it" only.
	Controls []string `json:"controls,omitempty"`
}

// DemoControls names the parts of a demo widget a lesson may declare in `controls:`, in the
// order docs/authoring.md lists them; static/js/demos.js tags each part with its name. A demo
// that declares controls shows those only, with the full toolbox one click away ("All controls").
var DemoControls = []string{
	"emit",       // the composer: from, event, payload, scope, rooms, Emit
	"scopes",     // one button per basic scope (socket.emit, io.emit, socket.broadcast.emit)
	"panel",      // the kind's own form (chat's Send, acks' Ask, queue's Deliver, namespaces' order)
	"say",        // each column's message box and Send
	"disconnect", // each column's Disconnect / Reconnect
	"rename",     // each column's Rename
	"remove",     // each column's Remove
	"rooms",      // each column's Join and Leave
	"multiplex",  // each column's "open another namespace on the same connection"
	"tools",      // the kind's controls in each column (tokens, answer mode, Lose network)
	"add",        // the "+ Add client" form
	"code",       // the server's code: the editor and its Go tab
	"diagram",    // namespaces, rooms and their members
	"console",    // the server's console
	"log",        // the event log
}

// ClientConfig is one virtual client. In YAML it may be written as just its name.
type ClientConfig struct {
	Name      string          `json:"name"`
	Namespace string          `json:"namespace,omitempty"`
	Auth      json.RawMessage `json:"auth,omitempty"`
	Rooms     []string        `json:"rooms,omitempty"`
	// Server is the cluster demo's server the client connects to (A, B or C; by default the
	// clients take them in turn).
	Server string `json:"server,omitempty"`
}

// UnmarshalJSON accepts a bare name or an object with known fields only.
func (c *ClientConfig) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		*c = ClientConfig{Name: name}
		return nil
	}
	type plain ClientConfig
	var p plain
	if err := strictDecode(b, &p); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	*c = ClientConfig(p)
	return nil
}

// TenantConfig is one organisation of the tenants demo.
type TenantConfig struct {
	Name  string `json:"name"`
	Token string `json:"token"`
}

// Step is one action of a demo script.
type Step struct {
	Client     string            `json:"client"`
	Emit       string            `json:"emit,omitempty"`
	Args       []json.RawMessage `json:"args,omitempty"`
	Scope      string            `json:"scope,omitempty"`
	Room       string            `json:"room,omitempty"`
	To         Rooms             `json:"to,omitempty"` // several rooms at once: to: [room-1, room-2]
	Except     string            `json:"except,omitempty"`
	Join       string            `json:"join,omitempty"`
	Leave      string            `json:"leave,omitempty"`
	Disconnect bool              `json:"disconnect,omitempty"`
	Connect    bool              `json:"connect,omitempty"`
}

// Rooms is one room or a list of rooms; in YAML `to: room-1` or `to: [room-1, room-2]`.
type Rooms []string

// UnmarshalJSON accepts a string or a list of strings.
func (r *Rooms) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*r = Rooms{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("to: a room name or a list of room names")
	}
	*r = list
	return nil
}

// targets are the rooms a step emits to: to, or room.
func (s *Step) targets() []string { return roomsOf(s.To, s.Room) }

// roomsOf is the rooms of a to: list, else of a single room: field (none when both are empty).
func roomsOf(to []string, room string) []string {
	if len(to) > 0 {
		return to
	}
	if room != "" {
		return []string{room}
	}
	return nil
}

// Prediction is a predict-then-run check: a step plus the question asked.
type Prediction struct {
	Step
	Question string `json:"question,omitempty"`
}

func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after config")
	}
	return nil
}

// ParseDemo decodes and validates a demo's config. Errors name the offending field.
func ParseDemo(name string, config json.RawMessage) (*DemoConfig, error) {
	if !slices.Contains(DemoNames, name) {
		return nil, fmt.Errorf("unknown demo %q (known: %s)", name, strings.Join(DemoNames, ", "))
	}
	var c DemoConfig
	if len(bytes.TrimSpace(config)) > 0 && !bytes.Equal(bytes.TrimSpace(config), []byte("null")) {
		if err := strictDecode(config, &c); err != nil {
			return nil, fmt.Errorf("demo %s: %w", name, err)
		}
	}
	if err := c.validate(name); err != nil {
		return nil, prefixEach("demo "+name, err)
	}
	return &c, nil
}

// ValidateDemo is the check the lesson loader runs on every ```demo block.
func ValidateDemo(name string, config json.RawMessage) error {
	_, err := ParseDemo(name, config)
	return err
}

func checkName(kind, s string) error {
	if s == "" {
		return fmt.Errorf("%s name is empty", kind)
	}
	if len(s) > maxNameLen {
		return fmt.Errorf("%s name %.20q… is longer than %d bytes", kind, s, maxNameLen)
	}
	return nil
}

func checkNamespace(s string) error {
	if err := checkName("namespace", s); err != nil {
		return err
	}
	if !strings.HasPrefix(s, "/") {
		return fmt.Errorf("namespace %q must start with /", s)
	}
	return nil
}

func (c *DemoConfig) validate(kind string) error {
	if len(c.Clients) > MaxDemoClients {
		return fmt.Errorf("clients: %d clients, at most %d", len(c.Clients), MaxDemoClients)
	}
	for _, l := range []struct {
		name string
		n    int
	}{{"namespaces", len(c.Namespaces)}, {"rooms", len(c.Rooms)}, {"tenants", len(c.Tenants)}} {
		if l.n > maxListLen {
			return fmt.Errorf("%s: %d entries, at most %d", l.name, l.n, maxListLen)
		}
	}
	for i, name := range c.Controls {
		if !slices.Contains(DemoControls, name) {
			return fmt.Errorf("controls[%d]: unknown control %q (known: %s)", i, name, strings.Join(DemoControls, ", "))
		}
		if slices.Index(c.Controls, name) != i {
			return fmt.Errorf("controls[%d]: %q is listed twice", i, name)
		}
	}
	if len(c.Script) > maxScriptSteps {
		return fmt.Errorf("script: %d steps, at most %d", len(c.Script), maxScriptSteps)
	}
	namespaces := map[string]bool{"/": true}
	for _, ns := range c.Namespaces {
		if err := checkNamespace(ns); err != nil {
			return fmt.Errorf("namespaces: %w", err)
		}
		namespaces[ns] = true
	}
	for _, t := range c.Tenants {
		if err := checkName("tenant", t.Name); err != nil {
			return fmt.Errorf("tenants: %w", err)
		}
		namespaces["/org-"+t.Name] = true
	}
	rooms := map[string]bool{}
	for _, r := range c.Rooms {
		if err := checkName("room", r); err != nil {
			return fmt.Errorf("rooms: %w", err)
		}
		rooms[r] = true
	}
	clients := map[string]bool{}
	for i, cl := range c.Clients {
		if err := checkName("client", cl.Name); err != nil {
			return fmt.Errorf("clients[%d]: %w", i, err)
		}
		if clients[cl.Name] {
			return fmt.Errorf("clients: duplicate client %q", cl.Name)
		}
		clients[cl.Name] = true
		if cl.Server != "" && !slices.Contains(clusterServers, cl.Server) {
			return fmt.Errorf("clients[%d] (%s): server %q is not one of %s", i, cl.Name, cl.Server, strings.Join(clusterServers, ", "))
		}
		if cl.Namespace != "" && !namespaces[cl.Namespace] {
			return fmt.Errorf("clients[%d] (%s): namespace %q is not declared in namespaces or tenants", i, cl.Name, cl.Namespace)
		}
		for _, r := range cl.Rooms {
			if err := checkName("room", r); err != nil {
				return fmt.Errorf("clients[%d] (%s): %w", i, cl.Name, err)
			}
			rooms[r] = true
		}
	}
	if len(c.Clients) == 0 {
		for _, n := range []string{"A", "B", "C"} {
			clients[n] = true
		}
	}
	if c.Event != "" {
		if err := checkName("event", c.Event); err != nil {
			return fmt.Errorf("event: %w", err)
		}
	}
	check := func(where string, s Step) error {
		if !clients[s.Client] {
			return fmt.Errorf("%s: client %q is not one of the demo's clients (%s)", where, s.Client, strings.Join(sortedKeys(clients), ", "))
		}
		actions := 0
		for _, set := range []bool{s.Emit != "", s.Join != "", s.Leave != "", s.Disconnect, s.Connect} {
			if set {
				actions++
			}
		}
		if actions != 1 {
			return fmt.Errorf("%s: a step does exactly one of emit, join, leave, disconnect, connect", where)
		}
		if s.Room != "" && len(s.To) > 0 {
			return fmt.Errorf("%s: use room (one room) or to (a list), not both", where)
		}
		if len(s.To) > maxListLen {
			return fmt.Errorf("%s: to: %d rooms, at most %d", where, len(s.To), maxListLen)
		}
		for _, r := range append([]string{s.Room, s.Except, s.Join, s.Leave}, s.To...) {
			if r != "" && !rooms[r] {
				return fmt.Errorf("%s: room %q is never created by this demo's config (declare it in rooms)", where, r)
			}
		}
		if s.Emit != "" {
			scope := s.Scope
			if scope == "" {
				scope = "self"
			}
			if _, ok := Scopes[scope]; !ok {
				return fmt.Errorf("%s: unknown scope %q (known: %s)", where, s.Scope, strings.Join(sortedKeys(Scopes), ", "))
			}
			if (scope == "room" || scope == "socket-room") && len(s.targets()) == 0 {
				return fmt.Errorf("%s: scope %q needs a room (room: ROOM or to: [ROOM, …])", where, scope)
			}
			if len(s.To) > 0 && scope != "room" && scope != "socket-room" {
				return fmt.Errorf("%s: to: is for the scopes room and socket-room, not %q", where, scope)
			}
			if scope == "except" && s.Except == "" && s.Room == "" {
				return fmt.Errorf("%s: scope \"except\" needs except: ROOM", where)
			}
		}
		return nil
	}
	for i, s := range c.Script {
		if err := check(fmt.Sprintf("script[%d]", i), s); err != nil {
			return err
		}
	}
	if c.Predict != nil {
		if err := check("predict", c.Predict.Step); err != nil {
			return err
		}
		if c.Predict.Emit == "" {
			return errors.New("predict: the predicted step must emit")
		}
	}
	if c.Outcome != nil {
		if c.Predict != nil {
			return errors.New("outcome: a demo has predict or outcome, not both")
		}
		if err := c.Outcome.validate(kind, clients, check); err != nil {
			return prefixEach("outcome", err)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
