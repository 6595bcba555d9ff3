package playground

import (
	"bufio"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"text/template"
	"time"

	"socketlab/playground/socketio"
)

// Kind is one demo kind: everything a ```demo NAME block starts lives in the kind's own file,
// kind_NAME.go (its setup and handlers, the JavaScript it shows), and its panel in
// static/js/kinds/NAME.js. The shared handlers every kind has (send, join, leave, the
// middleware) are in kind_common.go.
type Kind struct {
	Name string
	// Title is what the page calls the demo ("Live demo: Who gets an emit"); Name when empty.
	Title string
	// Setup registers the kind's middleware and handlers on a new instance's hub.
	Setup func(in *Instance)
	// JS is the kind's server as socket.io v4 JavaScript (a text/template over jsView): a
	// complete program that runs with a global `io` (new Server(httpServer, ServerOptions)), and
	// behaves like Setup's handlers (TestKindJSMatchesGo runs both).
	JS string
	// Show names the `// show:NAME` regions of the kind files whose source is the Go code the
	// demo shows: the code that runs, not a copy of it.
	Show []string
	// Recovery turns on connection state recovery (socket.io's connectionStateRecovery).
	Recovery *socketio.RecoveryOptions
	// PingInterval and PingTimeout, when set, replace the hub's heartbeat (socket.io's
	// pingInterval and pingTimeout options) for the kind's instances.
	PingInterval, PingTimeout time.Duration
	// Faults lets the widget break the instance on purpose (POST /play/{id}/fault, fault.go).
	Faults bool
	// NewState is the kind's own state on an instance, guarded by the instance's mutex.
	NewState func() any
	// StateLocked adds the kind's fields to the state message (with the instance's mutex held).
	StateLocked func(st any, out map[string]any)
	// Servers, when set, names the several servers an instance of the kind runs (the cluster
	// demo): one hub each, with the same handlers; a client picks one with ?server=NAME.
	Servers []string
	// Adapters, when set, gives the servers their adapters each time they start (nil: in memory).
	Adapters func(in *Instance) (*serverAdapters, error)
	// Close releases the kind's own resources when the instance closes, after its servers.
	Close func(in *Instance)

	js *template.Template
}

// kinds is the registry: every demo a lesson may embed, in the order docs/demos.md lists them.
var kinds = []*Kind{chatKind, emitScopesKind, roomsKind, namespacesKind, tenantsKind, acksKind, queueKind, brokerKind, clusterKind, reconnectionKind, authenticationKind, consoleKind}

// DemoNames lists every demo a lesson may embed with a ```demo NAME block.
var DemoNames = func() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}
	return names
}()

// kindByName is the registry by name.
var kindByName = func() map[string]*Kind {
	m := make(map[string]*Kind, len(kinds))
	for _, k := range kinds {
		js := template.Must(sharedJS.Clone())
		k.js = template.Must(js.New(k.Name).Parse(k.JS))
		m[k.Name] = k
	}
	return m
}()

// KindOf returns the registered kind of that name, or nil.
func KindOf(name string) *Kind { return kindByName[name] }

// KindTitle is the title of the demo kind name, for people (its name if it has none).
func KindTitle(name string) string {
	if k := kindByName[name]; k != nil && k.Title != "" {
		return k.Title
	}
	return name
}

// jsView is what a kind's JavaScript template sees: the demo's config, ready to print.
type jsView struct {
	Namespaces []string          // "/" and the other static namespaces
	Others     []string          // the static namespaces but "/"
	Tenants    map[string]string // tenant name → token
}

var sharedJS = template.Must(template.New("shared").Funcs(template.FuncMap{
	// q prints a JavaScript string literal.
	"q": func(s string) string { b, _ := json.Marshal(s); return string(b) },
	// nsp prints the expression for a namespace: io for "/", io.of("/orders") for the others.
	"nsp": func(name string) string {
		if name == "/" {
			return "io"
		}
		b, _ := json.Marshal(name)
		return "io.of(" + string(b) + ")"
	},
	"json": func(v any) string { b, _ := json.Marshal(v); return string(b) },
}).Parse(commonJS))

// ServerJS is the kind's JavaScript for cfg.
func (k *Kind) ServerJS(cfg *DemoConfig) (string, error) {
	v := jsView{Namespaces: cfg.namespacesOf(), Tenants: map[string]string{}}
	for _, n := range v.Namespaces {
		if n != "/" {
			v.Others = append(v.Others, n)
		}
	}
	for _, t := range cfg.Tenants {
		v.Tenants[t.Name] = t.Token
	}
	var b strings.Builder
	if err := k.js.ExecuteTemplate(&b, k.Name, v); err != nil {
		return "", fmt.Errorf("demo %s: server JavaScript: %w", k.Name, err)
	}
	return strings.TrimLeft(b.String(), "\n"), nil
}

// ServerOptions are the socket.io Server options the kind's JavaScript expects (JSON, as given
// to new Server(httpServer, options)).
func (k *Kind) ServerOptions() map[string]any {
	out := map[string]any{}
	if k.PingInterval > 0 {
		out["pingInterval"] = k.PingInterval.Milliseconds()
	}
	if k.PingTimeout > 0 {
		out["pingTimeout"] = k.PingTimeout.Milliseconds()
	}
	if k.Recovery != nil {
		out["connectionStateRecovery"] = map[string]any{
			"maxDisconnectionDuration": k.Recovery.MaxDisconnectionDuration.Milliseconds(),
			"skipMiddlewares":          k.Recovery.SkipMiddlewares,
		}
	}
	return out
}

// ServerGo is the Go code the kind shows: its show regions, from the source that runs.
func (k *Kind) ServerGo() string {
	regions := showRegions()
	parts := make([]string, 0, len(k.Show))
	for _, name := range k.Show {
		parts = append(parts, regions[name])
	}
	return strings.Join(parts, "\n")
}

//go:embed kind_*.go
var kindSources embed.FS

// showRegions reads the `// show:NAME` … `// show:end` regions of the kind files: the lines
// between the markers, as they are compiled.
var showRegions = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	files, _ := fs.Glob(kindSources, "kind_*.go")
	for _, f := range files {
		src, _ := kindSources.ReadFile(f)
		var name string
		var b strings.Builder
		sc := bufio.NewScanner(strings.NewReader(string(src)))
		for sc.Scan() {
			line := sc.Text()
			marker, isMarker := strings.CutPrefix(strings.TrimSpace(line), "// show:")
			switch {
			case isMarker && marker == "end":
				out[name] = strings.TrimRight(b.String(), "\n") + "\n"
				name = ""
				b.Reset()
			case isMarker:
				name = marker
			case name != "":
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
	}
	return out
})

const recoveryWindow = 2 * time.Minute
