package blocks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/yuin/goldmark/ast"
	"go.yaml.in/yaml/v3"
)

// An ```exercise block: the student writes the server, and checks written as
// scenarios grade it with the page's clients.
//
//	```exercise
//	title: Everyone but the sender           # optional
//	demo: {kind: chat, clients: [Ada, Grace, Linus]}
//	goal: Markdown prose
//	starter: |                               # JavaScript that fails the checks
//	  io.on("connection", (socket) => {});
//	solution: |                              # JavaScript that passes them
//	  ...
//	hints: [Markdown, Markdown]
//	checks:
//	  - name: Ada's message reaches Grace and Linus, not Ada
//	    steps:
//	      - {client: Ada, emit: chat message, args: ["hi"]}
//	    expect:
//	      - {client: Grace, receives: chat message, args: ["hi"]}
//	      - {client: Ada, receives: nothing}
//	```
//
// The grader (static/js/exercise-check.js) runs the checks; docs/authoring.md
// lists every step and expectation.

// KindExercise is the node kind that replaces an ```exercise block.
var KindExercise = ast.NewNodeKind("Exercise")

// ExerciseNode is the AST node of an ```exercise block.
type ExerciseNode struct {
	ast.BaseBlock
	Exercise Exercise
}

// Kind implements ast.Node.
func (n *ExerciseNode) Kind() ast.NodeKind { return KindExercise }

// Dump implements ast.Node.
func (n *ExerciseNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"ID": n.Exercise.ID}, nil)
}

// ExerciseClient is one client the checks drive.
type ExerciseClient struct {
	Name      string          `json:"name"`
	Namespace string          `json:"namespace"`      // "/" by default
	Auth      json.RawMessage `json:"auth,omitempty"` // the CONNECT payload, a JSON object
	// Server is the cluster demo's server it connects to (?server=A); "" for one-server demos.
	Server string `json:"server,omitempty"`
}

// Exercise is one ```exercise block.
type Exercise struct {
	ID        string // unique per document: "exercise-1", ...
	Line      int    // line of the opening fence
	Title     string
	Demo      string // the demo kind the exercise's page shows
	Clients   []ExerciseClient
	GoalHTML  string   // Markdown rendered in safe mode
	HintsHTML []string // the same, one per hint
	Starter   string
	Solution  string
	// Checks is the checks list as JSON, validated: the grader's input.
	Checks json.RawMessage
	Links  []Link // links in the goal and hints, as written
	Images []Link
}

// Config is the JSON the exercise panel reads (data-exercise on its element):
// {id, demo, clients, starter, solution, checks}.
func (x Exercise) Config() ([]byte, error) {
	return json.Marshal(struct {
		ID       string           `json:"id"`
		Demo     string           `json:"demo"`
		Clients  []ExerciseClient `json:"clients"`
		Starter  string           `json:"starter"`
		Solution string           `json:"solution"`
		Checks   json.RawMessage  `json:"checks"`
	}{x.ID, x.Demo, x.Clients, x.Starter, x.Solution, x.Checks})
}

// Limits of an exercise block.
const (
	MaxExerciseCode   = 16 << 10 // bytes of starter or solution
	maxExerciseChecks = 20
	maxCheckSteps     = 32
	maxWaitMS         = 5000
	maxClients        = 12
)

var (
	langExercise = []byte("exercise")

	exerciseKeys   = []string{"title", "demo", "goal", "starter", "solution", "hints", "checks"}
	exerciseDemo   = []string{"kind", "clients"}
	clientKeys     = []string{"name", "namespace", "auth", "server"}
	checkKeys      = []string{"name", "steps", "expect"}
	clientNameRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9 _-]{0,31}$`)
	reservedEvents = []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)

// itemKind is one kind of step or expectation: the key that says which, and
// the keys it allows.
type itemKind struct {
	key  string
	keys []string
}

// stepKinds are the steps of a check, by their action key.
var stepKinds = []itemKind{
	{"emit", []string{"client", "emit", "args", "ack"}},
	{"connect", []string{"client", "connect", "auth", "namespace"}},
	{"disconnect", []string{"client", "disconnect"}},
	{"answers", []string{"client", "answers", "with"}},
	{"waits_for", []string{"client", "waits_for", "args"}},
	{"wait", []string{"wait"}},
}

// expectKinds are the expectations of a check, by their kind key.
var expectKinds = []itemKind{
	{"receives", []string{"client", "receives", "args", "times"}},
	{"misses", []string{"client", "misses", "args"}},
	{"connect_error", []string{"client", "connect_error", "data"}},
	{"connected", []string{"client", "connected"}},
}

func (t *transformer) exercise(b *block, id string) (Exercise, bool) {
	if b.cb.Info != nil {
		if f := strings.Fields(string(b.cb.Info.Segment.Value(b.source))); len(f) > 1 {
			b.fenceErrorf("exercise: unexpected %q after \"exercise\"", strings.Join(f[1:], " "))
			return Exercise{}, false
		}
	}
	root, ok := b.parseYAML("exercise")
	if !ok {
		return Exercise{}, false
	}
	if root == nil {
		b.fenceErrorf("exercise: empty; it needs %s", strings.Join(exerciseKeys[1:], ", "))
		return Exercise{}, false
	}
	const what = "exercise"
	fields := b.mapping(root, what, exerciseKeys)
	if fields == nil {
		return Exercise{}, false
	}
	x := Exercise{ID: id, Line: b.line}
	x.Title, _ = b.stringField(fields, root, what, "title", false)
	if goal, ok := b.stringField(fields, root, what, "goal", true); ok {
		x.GoalHTML = t.inlineHTML(goal, b.yamlLine(fields["goal"].Line), &x.Links, &x.Images)
	}
	x.Demo, x.Clients = b.exerciseDemo(fields, root, t.opts)
	x.Starter = b.codeField(fields, root, "starter")
	x.Solution = b.codeField(fields, root, "solution")
	if x.Starter != "" && strings.TrimSpace(x.Starter) == strings.TrimSpace(x.Solution) {
		b.nodeErrorf(fields["solution"], "%s: the solution is the starter code: the starter must fail a check", what)
	}
	if h, ok := fields["hints"]; ok {
		if h.Kind != yaml.SequenceNode {
			b.nodeErrorf(h, "%s: \"hints\" must be a list of Markdown texts", what)
		}
		for i, hn := range h.Content {
			if hn.Kind != yaml.ScalarNode || strings.TrimSpace(hn.Value) == "" {
				b.nodeErrorf(hn, "%s: hint %d must be a non-empty text", what, i+1)
				continue
			}
			x.HintsHTML = append(x.HintsHTML, t.inlineHTML(hn.Value, b.yamlLine(hn.Line), &x.Links, &x.Images))
		}
	}
	names := make([]string, len(x.Clients))
	for i, c := range x.Clients {
		names[i] = c.Name
	}
	checks, has := fields["checks"]
	switch {
	case !has:
		b.requiredErrorf(root, "checks", "%s: \"checks\" is required", what)
	case checks.Kind != yaml.SequenceNode:
		b.nodeErrorf(checks, "%s: \"checks\" must be a list of scenarios (- name: ...)", what)
	case len(checks.Content) == 0:
		b.nodeErrorf(checks, "%s: \"checks\" is empty: add at least one scenario", what)
	case len(checks.Content) > maxExerciseChecks:
		b.nodeErrorf(checks.Content[maxExerciseChecks], "%s: more than %d checks", what, maxExerciseChecks)
	default:
		for i, cn := range checks.Content {
			b.check(cn, fmt.Sprintf("exercise check %d", i+1), names)
		}
	}
	if b.failed {
		return Exercise{}, false
	}
	v, err := b.toJSONValue(checks, 0)
	if err != nil || b.failed {
		if err != nil {
			b.nodeErrorf(checks, "%s: checks: %v", what, err)
		}
		return Exercise{}, false
	}
	if x.Checks, err = json.Marshal(v); err != nil {
		b.nodeErrorf(checks, "%s: checks: %v", what, err)
		return Exercise{}, false
	}
	return x, true
}

// codeField is the JavaScript of key, required, at most MaxExerciseCode bytes.
func (b *block) codeField(fields map[string]*yaml.Node, root *yaml.Node, key string) string {
	s, ok := b.stringField(fields, root, "exercise", key, true)
	if !ok {
		return ""
	}
	if len(s) > MaxExerciseCode {
		b.nodeErrorf(fields[key], "exercise: %q is %d bytes, over the limit of %d", key, len(s), MaxExerciseCode)
		return ""
	}
	return s
}

// exerciseDemo reads demo: {kind, clients}; clients default to A, B, C.
func (b *block) exerciseDemo(fields map[string]*yaml.Node, root *yaml.Node, opts Options) (string, []ExerciseClient) {
	const what = "exercise demo"
	dn, ok := fields["demo"]
	if !ok {
		b.requiredErrorf(root, "demo", "exercise: \"demo\" is required: {kind: NAME, clients: [...]}")
		return "", nil
	}
	df := b.mapping(dn, what, exerciseDemo)
	if df == nil {
		return "", nil
	}
	kind, ok := b.stringField(df, dn, what, "kind", true)
	if ok && opts.ValidateDemo != nil {
		if err := opts.ValidateDemo(kind, json.RawMessage("{}")); err != nil {
			b.nodeErrorf(df["kind"], "%s: %v", what, err)
		}
	}
	cn, ok := df["clients"]
	if !ok {
		return kind, []ExerciseClient{{Name: "A", Namespace: "/"}, {Name: "B", Namespace: "/"}, {Name: "C", Namespace: "/"}}
	}
	if cn.Kind != yaml.SequenceNode || len(cn.Content) == 0 {
		b.nodeErrorf(cn, "%s: \"clients\" must be a non-empty list of names or {name, namespace, auth}", what)
		return kind, nil
	}
	if len(cn.Content) > maxClients {
		b.nodeErrorf(cn.Content[maxClients], "%s: more than %d clients", what, maxClients)
		return kind, nil
	}
	var clients []ExerciseClient
	for i, n := range cn.Content {
		cwhat := fmt.Sprintf("%s client %d", what, i+1)
		c := ExerciseClient{Namespace: "/"}
		nameNode := n
		if n.Kind == yaml.MappingNode {
			f := b.mapping(n, cwhat, clientKeys)
			if f == nil {
				continue
			}
			c.Name, _ = b.stringField(f, n, cwhat, "name", true)
			nameNode = f["name"]
			if ns, ok := b.stringField(f, n, cwhat, "namespace", false); ok {
				if !strings.HasPrefix(ns, "/") {
					b.nodeErrorf(f["namespace"], "%s: namespace %q must start with /", cwhat, ns)
				}
				c.Namespace = ns
			}
			if a, ok := f["auth"]; ok {
				c.Auth = b.authJSON(a, cwhat)
			}
			if sv, ok := b.stringField(f, n, cwhat, "server", false); ok {
				if !slices.Contains([]string{"A", "B", "C"}, sv) {
					b.nodeErrorf(f["server"], "%s: server %q is not one of the cluster demo's A, B, C", cwhat, sv)
				}
				c.Server = sv
			}
		} else if n.Kind == yaml.ScalarNode {
			c.Name = n.Value
		} else {
			b.nodeErrorf(n, "%s: want a name or {name, namespace, auth}", cwhat)
			continue
		}
		if nameNode == nil || c.Name == "" {
			continue
		}
		if !clientNameRE.MatchString(c.Name) {
			b.nodeErrorf(nameNode, "%s: invalid name %q (letters, digits, spaces, _ and -, starting with a letter)", cwhat, c.Name)
			continue
		}
		if slices.ContainsFunc(clients, func(o ExerciseClient) bool { return o.Name == c.Name }) {
			b.nodeErrorf(nameNode, "%s: duplicate client %q", cwhat, c.Name)
			continue
		}
		clients = append(clients, c)
	}
	return kind, clients
}

// authJSON converts an auth mapping to JSON.
func (b *block) authJSON(n *yaml.Node, what string) json.RawMessage {
	if n.Kind != yaml.MappingNode {
		b.nodeErrorf(n, "%s: \"auth\" must be a mapping (the CONNECT payload), e.g. {token: t}", what)
		return nil
	}
	v, err := b.toJSONValue(n, 0)
	if err != nil {
		b.nodeErrorf(n, "%s: auth: %v", what, err)
	}
	if b.failed {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		b.nodeErrorf(n, "%s: auth: %v", what, err)
		return nil
	}
	return raw
}

// check validates one scenario: {name, steps, expect}.
func (b *block) check(n *yaml.Node, what string, clients []string) {
	f := b.mapping(n, what, checkKeys)
	if f == nil {
		return
	}
	if name, ok := b.stringField(f, n, what, "name", true); ok {
		what = fmt.Sprintf("%s (%s)", what, name)
	}
	if b.listField(f, n, what, "steps") {
		for i, s := range f["steps"].Content {
			b.step(s, fmt.Sprintf("%s step %d", what, i+1), clients)
		}
	}
	if b.listField(f, n, what, "expect") {
		for i, e := range f["expect"].Content {
			b.expectation(e, fmt.Sprintf("%s expect %d", what, i+1), clients)
		}
	}
}

// listField reports whether key is a non-empty list of at most maxCheckSteps.
func (b *block) listField(f map[string]*yaml.Node, parent *yaml.Node, what, key string) bool {
	v, ok := f[key]
	switch {
	case !ok:
		b.requiredErrorf(parent, key, "%s: %q is required", what, key)
	case v.Kind != yaml.SequenceNode:
		b.nodeErrorf(v, "%s: %q must be a list", what, key)
	case len(v.Content) == 0:
		b.nodeErrorf(v, "%s: %q is empty", what, key)
	case len(v.Content) > maxCheckSteps:
		b.nodeErrorf(v.Content[maxCheckSteps], "%s: more than %d %s", what, maxCheckSteps, key)
	default:
		return true
	}
	return false
}

// item finds which of kinds n is (exactly one kind key must be present) and
// returns its fields, the keys checked against that kind's. An item of no
// kind has its unknown keys reported with suggestions from every kind's keys.
func (b *block) item(n *yaml.Node, what string, kinds []itemKind) (string, map[string]*yaml.Node) {
	var names, allKeys []string
	for _, k := range kinds {
		names = append(names, k.key)
		for _, key := range k.keys {
			if !slices.Contains(allKeys, key) {
				allKeys = append(allKeys, key)
			}
		}
	}
	if n.Kind != yaml.MappingNode {
		b.nodeErrorf(n, "%s: want a mapping with one of %s", what, strings.Join(names, ", "))
		return "", nil
	}
	var found []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; slices.Contains(names, k) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		before := len(Errors(b.pc))
		b.mapping(n, what, allKeys)
		if len(Errors(b.pc)) == before {
			b.nodeErrorf(n, "%s: say what happens with one of %s", what, strings.Join(names, ", "))
		}
		return "", nil
	case 1:
	default:
		b.nodeErrorf(n, "%s: one of %s per item, got %s", what, strings.Join(names, ", "), strings.Join(found, " and "))
		return "", nil
	}
	i := slices.IndexFunc(kinds, func(k itemKind) bool { return k.key == found[0] })
	f := b.mapping(n, what, kinds[i].keys)
	if f == nil {
		return "", nil
	}
	return found[0], f
}

func (b *block) step(n *yaml.Node, what string, clients []string) {
	action, f := b.item(n, what, stepKinds)
	if action == "" {
		return
	}
	if action == "wait" {
		var ms int
		if v := f["wait"]; v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&ms) != nil || ms < 1 || ms > maxWaitMS {
			b.nodeErrorf(v, "%s: \"wait\" must be a number of milliseconds from 1 to %d", what, maxWaitMS)
		}
		return
	}
	b.clientField(f, n, what, clients)
	switch action {
	case "emit":
		if ev, ok := b.stringField(f, n, what, "emit", true); ok && slices.Contains(reservedEvents, ev) {
			b.nodeErrorf(f["emit"], "%s: %q is a reserved event name: a client cannot emit it", what, ev)
		}
		b.listValue(f, what, "args")
		b.listValue(f, what, "ack")
	case "connect", "disconnect":
		if v := f[action]; v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Value != "true" {
			b.nodeErrorf(v, "%s: write %q: true", what, action)
		}
		if a, ok := f["auth"]; ok {
			b.authJSON(a, what)
		}
		if ns, ok := b.stringField(f, n, what, "namespace", false); ok && !strings.HasPrefix(ns, "/") {
			b.nodeErrorf(f["namespace"], "%s: namespace %q must start with /", what, ns)
		}
	case "waits_for":
		b.stringField(f, n, what, "waits_for", true)
		b.listValue(f, what, "args")
	case "answers":
		b.stringField(f, n, what, "answers", true)
		if _, ok := f["with"]; !ok {
			b.nodeErrorf(n, "%s: \"with\" is required: the list of values the client answers with", what)
		}
		b.listValue(f, what, "with")
	}
}

func (b *block) expectation(n *yaml.Node, what string, clients []string) {
	kind, f := b.item(n, what, expectKinds)
	if kind == "" {
		return
	}
	b.clientField(f, n, what, clients)
	switch kind {
	case "receives":
		ev, ok := b.stringField(f, n, what, "receives", true)
		if ok && ev == "nothing" {
			for _, k := range []string{"args", "times"} {
				if v, has := f[k]; has {
					b.nodeErrorf(v, "%s: \"receives: nothing\" takes no %q", what, k)
				}
			}
		}
		b.listValue(f, what, "args")
		if v, ok := f["times"]; ok {
			var t int
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&t) != nil || t < 1 || t > 100 {
				b.nodeErrorf(v, "%s: \"times\" must be a whole number from 1 to 100", what)
			}
		}
	case "misses":
		b.stringField(f, n, what, "misses", true)
		b.listValue(f, what, "args")
	case "connect_error":
		b.stringField(f, n, what, "connect_error", true)
	case "connected":
		if v := f["connected"]; v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Value != "true" {
			b.nodeErrorf(v, "%s: write \"connected: true\" (to expect a refusal, use connect_error: MESSAGE)", what)
		}
	}
}

// clientField checks that the item names one of the exercise's clients.
func (b *block) clientField(f map[string]*yaml.Node, n *yaml.Node, what string, clients []string) {
	name, ok := b.stringField(f, n, what, "client", true)
	if !ok || len(clients) == 0 || slices.Contains(clients, name) {
		return
	}
	if s := Suggest(name, clients); s != "" {
		b.nodeErrorf(f["client"], "%s: unknown client %q (did you mean %q?)", what, name, s)
	} else {
		b.nodeErrorf(f["client"], "%s: unknown client %q (the exercise's clients: %s)", what, name, strings.Join(clients, ", "))
	}
}

// listValue checks that key, when present, is a YAML list.
func (b *block) listValue(f map[string]*yaml.Node, what, key string) {
	if v, ok := f[key]; ok && v.Kind != yaml.SequenceNode {
		b.nodeErrorf(v, "%s: %q must be a list, e.g. [\"hi\"]", what, key)
	}
}

// exerciseText is the goal and hints for the fallback renderer.
func exerciseText(x Exercise) string {
	var buf bytes.Buffer
	buf.WriteString(x.GoalHTML)
	for _, h := range x.HintsHTML {
		buf.WriteString("\n<div class=\"exercise-hint\" hidden>" + h + "</div>")
	}
	return buf.String()
}
