package main

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The package rules of docs/architecture.md, enforced on every .go file of the module (whatever its
// build constraints). A package may import the project packages listed for it, nothing else; a
// leaf imports none. Keys and values are directories relative to the module root ("." is the
// command).
var allowedImports = map[string][]string{
	".":                    {"web", "lessons", "playground", "playground/engineio", "playground/loadgen"},
	"web":                  {"lessons", "lessons/blocks", "playground", "playground/classroom", "playground/engineio", "playground/socketio", "playground/stream", "static", "templates"},
	"lessons":              {"lessons/blocks"},
	"playground":           {"playground/engineio", "playground/socketio", "playground/socketio/redisadapter", "playground/socketio/sandbox", "playground/stream"},
	"playground/classroom": {"playground", "playground/socketio"},
	// A child may import its parent.
	"playground/socketio/sandbox":      {"playground/socketio"},
	"playground/socketio/redisadapter": {"playground/socketio"},

	// Leaves.
	"lessons/blocks":              nil,
	"playground/engineio":         nil,
	"playground/engineio/pipenet": nil,
	"playground/socketio":         nil,
	"playground/stream":           nil,
	"playground/loadgen":          nil,
	"playground/wsclient":         nil,
	"templates":                   nil,
	"static":                      nil,
	"web/browsertest":             nil,
	"web/webtest":                 nil,
}

// leaves import no project package (checked against allowedImports, so the table cannot drift).
var leaves = []string{"lessons/blocks", "playground/engineio", "playground/engineio/pipenet", "playground/socketio",
	"playground/stream", "playground/loadgen", "playground/wsclient", "templates", "static", "web/browsertest", "web/webtest"}

// siblingImports are the only imports between siblings (packages with the same parent): web is
// where the top-level packages meet, and the classroom drives its hub's socketio.Server.
var siblingImports = map[string][]string{
	"web":                  {"lessons", "playground", "static", "templates"},
	"playground/classroom": {"playground/socketio"},
}

// allowedModules are the third-party modules each package's non-test files may import.
var allowedModules = map[string][]string{
	"lessons":                     {"github.com/yuin/goldmark", "github.com/yuin/goldmark-highlighting/v2", "github.com/alecthomas/chroma/v2", "go.yaml.in/yaml/v3"},
	"lessons/blocks":              {"github.com/yuin/goldmark", "go.yaml.in/yaml/v3"},
	"playground":                  {"golang.org/x/time/rate", "github.com/redis/go-redis/v9", "github.com/alicebob/miniredis/v2"}, // the cluster demo: its broker monitor and the built-in Redis stand-in
	"playground/classroom":        {"golang.org/x/text/unicode/norm", "golang.org/x/time/rate", "go.etcd.io/bbolt"},               // bbolt: the class store (store.go)
	"playground/engineio":         {"github.com/gorilla/websocket", "golang.org/x/time/rate"},
	"playground/socketio":         {"golang.org/x/time/rate"},
	"playground/socketio/sandbox": {"github.com/dop251/goja", "golang.org/x/time/rate"},
	// The Redis adapter: the maintained Redis client, and msgpack for @socket.io/redis-adapter's format.
	"playground/socketio/redisadapter": {"github.com/redis/go-redis/v9", "github.com/vmihailenco/msgpack/v5"},
	"playground/loadgen":               {"github.com/gorilla/websocket"},
	"playground/wsclient":              {"github.com/gorilla/websocket"},
	"templates":                        {"github.com/a-h/templ"},
	"web":                              {"github.com/a-h/templ", "github.com/fsnotify/fsnotify", "rsc.io/qr"},
	"web/browsertest":                  {"github.com/chromedp/chromedp", "github.com/chromedp/cdproto"},
}

// Tests may also import the test-support packages, and what testImports adds for a package.
var (
	testSupport = []string{"playground/engineio/pipenet", "playground/wsclient", "web/browsertest", "web/webtest"}
	testImports = map[string][]string{"static": {"templates"}} // the editor's browser test serves templates.CSP
)

const modulePath = "socketlab"

// goFile is one parsed .go file of the module.
type goFile struct {
	dir  string // package directory relative to the module root
	name string
	test bool
	ast  *ast.File
}

// moduleFiles parses every .go file of the module (not node/, testdata or hidden folders).
func moduleFiles(t *testing.T, mode parser.Mode) []goFile {
	t.Helper()
	var files []goFile
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && (d.Name() == "node" && filepath.Dir(p) == "." || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, mode)
		if err != nil {
			return err
		}
		files = append(files, goFile{dir: filepath.ToSlash(filepath.Dir(p)), name: filepath.ToSlash(p), test: strings.HasSuffix(p, "_test.go"), ast: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func parentDir(dir string) string {
	if dir == "." {
		return ""
	}
	return path.Dir(dir)
}

// importProblem says what is wrong with file f importing imp, or "".
func importProblem(f goFile, imp string) string {
	switch {
	case imp == modulePath || strings.HasPrefix(imp, modulePath+"/"):
		to := strings.TrimPrefix(strings.TrimPrefix(imp, modulePath), "/")
		if to == "" {
			to = "."
		}
		if to == f.dir {
			return "" // an external test package
		}
		allowed := allowedImports[f.dir]
		if f.test {
			allowed = slices.Concat(allowed, testSupport, testImports[f.dir])
		}
		if !slices.Contains(allowed, to) {
			return "not allowed for package " + f.dir + " (allowedImports: " + strings.Join(allowed, ", ") + ")"
		}
		exempt := slices.Contains(siblingImports[f.dir], to) || f.test && (slices.Contains(testSupport, to) || slices.Contains(testImports[f.dir], to))
		if parentDir(to) == parentDir(f.dir) && !exempt {
			return "a sibling import: siblings meet in their parent"
		}
	case strings.Contains(strings.Split(imp, "/")[0], "."): // third party
		if f.test {
			return ""
		}
		for _, m := range allowedModules[f.dir] {
			if imp == m || strings.HasPrefix(imp, m+"/") {
				return ""
			}
		}
		return "third-party module not allowed for package " + f.dir + " (allowedModules: " + strings.Join(allowedModules[f.dir], ", ") + ")"
	}
	return ""
}

func TestImportRules(t *testing.T) {
	for _, l := range leaves {
		if len(allowedImports[l]) > 0 {
			t.Errorf("allowedImports: %s is a leaf but may import %v", l, allowedImports[l])
		}
	}
	for from, tos := range siblingImports {
		for _, to := range tos {
			if !slices.Contains(allowedImports[from], to) {
				t.Errorf("siblingImports: %s → %s is not in allowedImports", from, to)
			}
		}
	}
	seen := map[string]bool{}
	for _, f := range moduleFiles(t, parser.ImportsOnly) {
		seen[f.dir] = true
		if _, ok := allowedImports[f.dir]; !ok {
			t.Errorf("%s: package %s is not in allowedImports: add it there and to docs/architecture.md", f.name, f.dir)
			continue
		}
		for _, spec := range f.ast.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			if msg := importProblem(f, imp); msg != "" {
				t.Errorf("%s imports %s: %s (docs/architecture.md, Packages)", f.name, imp, msg)
			}
		}
	}
	for dir := range allowedImports {
		if !seen[dir] {
			t.Errorf("allowedImports names %s, which has no Go files", dir)
		}
	}
}

// TestImportProblem: the rules catch what they are for.
func TestImportProblem(t *testing.T) {
	tests := []struct {
		f    goFile
		imp  string
		want string // a substring of the problem; "" for none
	}{
		{goFile{dir: "playground/socketio"}, "socketlab/playground/engineio", "not allowed"},        // a leaf
		{goFile{dir: "playground/stream"}, "socketlab/playground", "not allowed"},                   // a leaf importing its parent
		{goFile{dir: "lessons"}, "socketlab/templates", "not allowed"},                              // a sibling
		{goFile{dir: "playground/engineio"}, "github.com/dop251/goja", "third-party"},               // a module
		{goFile{dir: "playground/socketio/sandbox"}, "socketlab/playground/socketio", ""},           // its parent
		{goFile{dir: "playground/classroom"}, "socketlab/playground", ""},                           // its parent
		{goFile{dir: "web"}, "socketlab/playground/stream", ""},                                     // where they meet
		{goFile{dir: "templates", test: true}, "socketlab/web/browsertest", ""},                     // test support
		{goFile{dir: "templates", test: true}, "socketlab/static", "not allowed"},                   // not support
		{goFile{dir: "playground/engineio", test: true}, "socketlab/playground/engineio", ""},       // external test
		{goFile{dir: "playground/engineio", test: true}, "github.com/google/go-cmp/cmp", ""},        // test tools
		{goFile{dir: "playground/socketio/sandbox"}, "github.com/dop251/goja/parser", ""},           // a module's package
		{goFile{dir: "playground/socketio/sandbox"}, "github.com/gorilla/websocket", "third-party"}, // not listed
		{goFile{dir: "web"}, "net/http", ""},                                                        // standard library
		{goFile{dir: "playground/wsclient"}, "socketlab/playground/socketio", "not allowed"},        // a test-support leaf
		{goFile{dir: "playground/classroom", test: true}, "socketlab/playground/wsclient", ""},      // test support
		{goFile{dir: "playground/classroom"}, "socketlab/playground/wsclient", "not allowed"},       // only in tests
		{goFile{dir: "playground/classroom", test: true}, "socketlab/playground/stream", "not allowed"},
		{goFile{dir: "static", test: true}, "socketlab/templates", ""}, // testImports
		{goFile{dir: "static"}, "socketlab/templates", "not allowed"},
	}
	for _, tt := range tests {
		got := importProblem(tt.f, tt.imp)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%s (test %v) importing %s: got %q, want %q", tt.f.dir, tt.f.test, tt.imp, got, tt.want)
		}
	}
}

// ---- docs/architecture.md names only what exists

// goNames are the module's declarations: per package (by directory base name, "main" for the
// root) its top-level names, and per type name (any package) its methods and fields.
type goNames struct {
	pkgs    map[string]map[string]bool
	members map[string]map[string]bool
	funcs   map[string]bool // every func and method name
}

func collectNames(files []goFile) goNames {
	n := goNames{pkgs: map[string]map[string]bool{}, members: map[string]map[string]bool{}, funcs: map[string]bool{}}
	member := func(typ, name string) {
		if n.members[typ] == nil {
			n.members[typ] = map[string]bool{}
		}
		n.members[typ][name] = true
	}
	for _, f := range files {
		pkg := path.Base(f.dir)
		if f.dir == "." {
			pkg = "main"
		}
		if n.pkgs[pkg] == nil {
			n.pkgs[pkg] = map[string]bool{}
		}
		for _, d := range f.ast.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				n.funcs[d.Name.Name] = true
				if d.Recv == nil {
					n.pkgs[pkg][d.Name.Name] = true
					continue
				}
				typ := d.Recv.List[0].Type
				if s, ok := typ.(*ast.StarExpr); ok {
					typ = s.X
				}
				switch x := typ.(type) {
				case *ast.IndexExpr:
					typ = x.X
				case *ast.IndexListExpr:
					typ = x.X
				}
				if id, ok := typ.(*ast.Ident); ok {
					member(id.Name, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						n.pkgs[pkg][s.Name.Name] = true
						if n.members[s.Name.Name] == nil {
							n.members[s.Name.Name] = map[string]bool{}
						}
						var fields *ast.FieldList
						switch t := s.Type.(type) {
						case *ast.StructType:
							fields = t.Fields
						case *ast.InterfaceType:
							fields = t.Methods
						}
						if fields != nil {
							for _, fl := range fields.List {
								for _, name := range fl.Names {
									member(s.Name.Name, name.Name)
								}
								if len(fl.Names) == 0 { // embedded
									if id, ok := fl.Type.(*ast.Ident); ok {
										member(s.Name.Name, id.Name)
									}
								}
							}
						}
					case *ast.ValueSpec:
						for _, name := range s.Names {
							n.pkgs[pkg][name.Name] = true
						}
					}
				}
			}
		}
	}
	return n
}

// codeSpans returns the inline code spans of Markdown text outside fenced blocks, with their lines.
func codeSpans(md string) (spans []string, lines []int) {
	fenced := false
	for i, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for rest := line; ; {
			start := strings.IndexByte(rest, '`')
			if start < 0 {
				break
			}
			n := len(rest[start:]) - len(strings.TrimLeft(rest[start:], "`"))
			rest = rest[start+n:]
			end := strings.Index(rest, strings.Repeat("`", n))
			for end >= 0 && end+n < len(rest) && rest[end+n] == '`' { // a longer run does not close it
				next := strings.Index(rest[end+n+1:], strings.Repeat("`", n))
				if next < 0 {
					end = -1
					break
				}
				end += n + 1 + next
			}
			if end < 0 {
				continue // a literal run of backticks
			}
			spans = append(spans, strings.TrimSpace(rest[:end]))
			lines = append(lines, i+1)
			rest = rest[end+n:]
		}
	}
	return spans, lines
}

var (
	testName      = regexp.MustCompile(`^(Test|Benchmark|Fuzz|Example)\w*$`)
	qualifiedName = regexp.MustCompile(`^\*?[A-Za-z_]\w*(\.[A-Za-z_]\w*){1,2}$`)
	callName      = regexp.MustCompile(`^([A-Za-z_]\w*)\(\)$`)
	placeholder   = regexp.MustCompile(`NAME|NN|\*|\{|…`)
	fileExt       = regexp.MustCompile(`\.(go|js|md|templ|css|sh|json|yaml|mod)$`)
	// Qualifiers that are not ours (checked by the compiler, not here).
	externalPkgs = map[string]bool{"goja": true, "http": true, "slog": true, "json": true, "rate": true, "chromedp": true, "templ": true, "goldmark": true, "testing": true, "synctest": true, "time": true, "context": true}
)

// docProblem says why span (a code span of the architecture doc) names something that does not
// exist, or "" when it exists or is not a name the test can check (prose, JavaScript, flags).
func docProblem(span string, names goNames, routes, gomod string, exists func(string) bool) string {
	if strings.ContainsAny(span, " \t\"'") {
		return ""
	}
	switch {
	case testName.MatchString(span):
		for _, p := range names.pkgs {
			if p[span] {
				return ""
			}
		}
		return "no such test, benchmark or fuzz target"
	case strings.HasPrefix(span, "/") && len(span) > 1: // a URL the server answers
		if !strings.Contains(routes, span) {
			return "not a URL of routeTable (web/routes.go)"
		}
	case strings.Contains(span, "/") || fileExt.MatchString(span):
		if placeholder.MatchString(span) || strings.Contains(span, "://") || strings.HasPrefix(span, "-") {
			return ""
		}
		p := strings.TrimSuffix(span, "/")
		if i := strings.IndexByte(p, ':'); i > 0 {
			p = p[:i]
		}
		if strings.Contains(strings.Split(p, "/")[0], ".") && strings.Contains(p, "/") { // a module's package
			for _, line := range strings.Split(gomod, "\n") {
				if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require")); len(f) == 2 && (p == f[0] || strings.HasPrefix(p, f[0]+"/")) {
					return ""
				}
			}
			return "not a package of a module in go.mod"
		}
		if exists(p) {
			return ""
		}
		pkg := p // a standard library package (net/http), perhaps with a name (net/http.ServeMux)
		if i := strings.LastIndexByte(pkg, '/'); strings.Contains(pkg[i+1:], ".") {
			pkg = pkg[:i+1+strings.IndexByte(pkg[i+1:], '.')]
		}
		if bp, err := build.Default.Import(pkg, "", build.FindOnly); err == nil && bp.Goroot {
			return ""
		}
		return "no such file or directory"
	case qualifiedName.MatchString(span):
		parts := strings.Split(strings.TrimPrefix(span, "*"), ".")
		q := parts[0]
		if externalPkgs[q] {
			return ""
		}
		if decls, ok := names.pkgs[q]; ok && q != "main" {
			if !decls[parts[1]] {
				return "package " + q + " declares no " + parts[1]
			}
			if len(parts) == 3 && !names.members[parts[1]][parts[2]] {
				return parts[1] + " has no method or field " + parts[2]
			}
			return ""
		}
		if m, ok := names.members[q]; ok {
			if !m[parts[1]] {
				return q + " has no method or field " + parts[1]
			}
			return ""
		}
		if q[0] >= 'A' && q[0] <= 'Z' {
			return "no type " + q
		}
		// a variable (cl.mu) or JavaScript (io.emit): not checked
	case callName.MatchString(span):
		if !names.funcs[callName.FindStringSubmatch(span)[1]] {
			return "no such function or method"
		}
	}
	return ""
}

// treeExists reports whether a path exists from the module root, or a bare file name (sio.js)
// names exactly one file of the tree outside node/node_modules (server.go names two: write the path).
func treeExists(t *testing.T) func(string) bool {
	t.Helper()
	base := map[string]int{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && p != ".") {
			return filepath.SkipDir
		}
		base[d.Name()]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return func(p string) bool {
		if _, err := os.Stat(p); err == nil {
			return true
		}
		return !strings.Contains(p, "/") && base[p] == 1
	}
}

// TestArchitectureDocNames: every path, URL, test and qualified Go name docs/architecture.md
// writes in backquotes exists, and it names every package of the module.
func TestArchitectureDocNames(t *testing.T) {
	md, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	routes, err := os.ReadFile("web/routes.go")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	names := collectNames(moduleFiles(t, parser.SkipObjectResolution))
	exists := treeExists(t)
	spans, lines := codeSpans(string(md))
	if len(spans) < 100 {
		t.Fatalf("only %d code spans found in docs/architecture.md: is the parser broken?", len(spans))
	}
	for i, s := range spans {
		if msg := docProblem(s, names, string(routes), string(gomod), exists); msg != "" {
			t.Errorf("docs/architecture.md:%d: `%s`: %s", lines[i], s, msg)
		}
	}
	for dir := range allowedImports {
		if dir != "." && !strings.Contains(string(md), dir+"/") && !slices.Contains(spans, dir) {
			t.Errorf("docs/architecture.md does not name package %s", dir)
		}
	}
}

// TestDocProblem: the doc check catches what the old doc got wrong (a server.go that did not
// exist) and the other kinds of dangling names.
func TestDocProblem(t *testing.T) {
	names := collectNames(moduleFiles(t, parser.SkipObjectResolution))
	routes, _ := os.ReadFile("web/routes.go")
	gomod, _ := os.ReadFile("go.mod")
	exists := treeExists(t)
	tests := []struct {
		span string
		bad  bool
	}{
		{"server.go", true},
		{"playground/server.go", true},
		{"playground/hub.go", false},
		{"playground/socketio/", false},
		{"static/js/kinds/NAME.js", false}, // a placeholder
		{"/play/{id}/tap", false},
		{"/play/{id}/stream", true},
		{"Instance.RunCode", false},
		{"Instance.RunJS", true},
		{"Instanc.RunCode", true},
		{"playground.Spec", false},
		{"playground.Spek", true},
		{"engineio.Options.Handler", false},
		{"engineio.Options.Handle", true},
		{"Packet.Direct", false},    // a field
		{"Handler.Open", false},     // an interface method
		{"session.Message", false},  // an unexported type
		{"routeTable()", false},     // a function
		{"routeTabel()", true},      // a typo
		{"TestKindRegistry", false}, // a test
		{"TestKindRegistery", true}, // a typo
		{"golang.org/x/time/rate", false},
		{"golang.org/x/net/websocket", true},
		{"net/http.ServeMux", false}, // the standard library
		{"net/htp", true},
		{"sio.js", false}, // a file name found in the tree
		{"sio2.js", true},
		{"cl.mu", false},   // a variable: not checked
		{"io.emit", false}, // JavaScript: not checked
		{"go tool templ generate", false},
	}
	for _, tt := range tests {
		if got := docProblem(tt.span, names, string(routes), string(gomod), exists); (got != "") != tt.bad {
			t.Errorf("docProblem(%q) = %q, want a problem: %v", tt.span, got, tt.bad)
		}
	}
	spans, _ := codeSpans("a `x` and ``y`z`` then ```lit\n```\n`hidden`\n```\nend `w`")
	if want := []string{"x", "y`z", "w"}; !slices.Equal(spans, want) {
		t.Errorf("codeSpans = %q, want %q", spans, want)
	}
}
