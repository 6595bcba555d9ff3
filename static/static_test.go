package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func testAssets(t *testing.T) *Assets {
	t.Helper()
	a, err := newFromFS(fstest.MapFS{
		"css/site.css":  {Data: []byte(strings.Repeat("body { color: red; }\n", 50))},
		"js/site.js":    {Data: []byte(strings.Repeat("export const x = 1;\n", 50))},
		"js/tiny.js":    {Data: []byte("1")},
		"css/.DS_Store": {Data: []byte("junk")},
	})
	if err != nil {
		t.Fatalf("newFromFS: %v", err)
	}
	return a
}

func TestNewEmbedded(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, name := range []string{"css/site.css", "js/site.js"} {
		if !a.Has(name) {
			t.Errorf("embedded assets lack %q (have %q)", name, a.Names())
		}
		if got := a.URL(name); !regexp.MustCompile(`^/static/[a-z]+/site\.[0-9a-f]{8}\.(css|js)$`).MatchString(got) {
			t.Errorf("URL(%q) = %q, want a hashed /static/ URL", name, got)
		}
	}
}

func TestURL(t *testing.T) {
	a := testAssets(t)
	tests := []struct {
		name string
		want string // regexp
	}{
		{"css/site.css", `^/static/css/site\.[0-9a-f]{8}\.css$`},
		{"/js/site.js", `^/static/js/site\.[0-9a-f]{8}\.js$`},
		{"js/missing.js", `^/static/js/missing\.js$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.URL(tt.name); !regexp.MustCompile(tt.want).MatchString(got) {
				t.Errorf("got %q, want match %q", got, tt.want)
			}
		})
	}
	if a.URL("css/site.css") != a.URL("css/site.css") {
		t.Error("URL is not stable")
	}
	if a.Has("css/.DS_Store") {
		t.Error("dot files must not be served")
	}
}

func TestImportMap(t *testing.T) {
	a, err := newFromFS(fstest.MapFS{
		"js/app.js": {Data: []byte(`import { io } from "./sio.js";`)},
		"js/sio.js": {Data: []byte(`export const io = 1;`)},
		"css/a.css": {Data: []byte(`a{}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := a.ImportMap()
	want := map[string]string{
		"/static/js/app.js": a.URL("js/app.js"),
		"/static/js/sio.js": a.URL("js/sio.js"),
	}
	if !maps.Equal(got, want) {
		t.Errorf("ImportMap: got %v, want %v (JavaScript only, plain URL → hashed URL)", got, want)
	}
	for plain, hashed := range got {
		if plain == hashed || !strings.HasPrefix(hashed, Prefix+"js/") {
			t.Errorf("%s maps to %s, want a hashed URL under %sjs/", plain, hashed, Prefix)
		}
	}
}

func TestURLChangesWithContent(t *testing.T) {
	a1, err := newFromFS(fstest.MapFS{"css/a.css": {Data: []byte("a{}")}})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := newFromFS(fstest.MapFS{"css/a.css": {Data: []byte("b{}")}})
	if err != nil {
		t.Fatal(err)
	}
	if a1.URL("css/a.css") == a2.URL("css/a.css") {
		t.Errorf("got the same URL %q for different contents", a1.URL("css/a.css"))
	}
}

func TestUnknownExtension(t *testing.T) {
	_, err := newFromFS(fstest.MapFS{"js/x.weird-ext": {Data: []byte("?")}})
	if err == nil || !strings.Contains(err.Error(), "js/x.weird-ext") {
		t.Errorf("got %v, want an error naming the file", err)
	}
}

func TestHandler(t *testing.T) {
	a := testAssets(t)
	css := a.URL("css/site.css")
	js := a.URL("js/site.js")
	tiny := a.URL("js/tiny.js")
	hash := func(u string) string { return regexp.MustCompile(`\.([0-9a-f]{8})\.`).FindStringSubmatch(u)[1] }

	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		wantStatus int
		wantHeader map[string]string // "" means absent
		wantBody   string            // decoded; "-" to skip
	}{
		{
			name: "css identity", path: css,
			wantStatus: 200,
			wantHeader: map[string]string{
				"Content-Type":     "text/css; charset=utf-8",
				"Cache-Control":    "public, max-age=31536000, immutable",
				"ETag":             `"` + hash(css) + `"`,
				"Vary":             "Accept-Encoding",
				"Content-Encoding": "",
			},
			wantBody: strings.Repeat("body { color: red; }\n", 50),
		},
		{
			name: "js gzip", path: js, header: map[string]string{"Accept-Encoding": "br, gzip;q=0.8"},
			wantStatus: 200,
			wantHeader: map[string]string{
				"Content-Type":     "text/javascript; charset=utf-8",
				"Content-Encoding": "gzip",
				"Vary":             "Accept-Encoding",
				"ETag":             `"` + hash(js) + `-gzip"`,
			},
			wantBody: strings.Repeat("export const x = 1;\n", 50),
		},
		{
			name: "gzip refused with q=0", path: js, header: map[string]string{"Accept-Encoding": "gzip;q=0, *"},
			wantStatus: 200, wantHeader: map[string]string{"Content-Encoding": ""}, wantBody: "-",
		},
		{
			name: "star accepts gzip", path: js, header: map[string]string{"Accept-Encoding": "*"},
			wantStatus: 200, wantHeader: map[string]string{"Content-Encoding": "gzip"}, wantBody: "-",
		},
		{
			name: "tiny file not compressed", path: tiny, header: map[string]string{"Accept-Encoding": "gzip"},
			wantStatus: 200, wantHeader: map[string]string{"Content-Encoding": "", "Vary": ""}, wantBody: "1",
		},
		{
			name: "path without prefix", path: strings.TrimPrefix(css, "/static"),
			wantStatus: 200, wantBody: "-",
		},
		{
			name: "not modified", path: css, header: map[string]string{"If-None-Match": `"` + hash(css) + `"`},
			wantStatus: 304, wantHeader: map[string]string{"ETag": `"` + hash(css) + `"`}, wantBody: "",
		},
		{
			name: "not modified gzip tag", path: css,
			header:     map[string]string{"If-None-Match": `W/"` + hash(css) + `-gzip"`, "Accept-Encoding": "gzip"},
			wantStatus: 304, wantBody: "",
		},
		{
			name: "other etag", path: css, header: map[string]string{"If-None-Match": `"deadbeef"`},
			wantStatus: 200, wantBody: "-",
		},
		{
			name: "head", method: http.MethodHead, path: css,
			wantStatus: 200, wantHeader: map[string]string{"Content-Type": "text/css; charset=utf-8"}, wantBody: "",
		},
		{
			name: "unhashed name revalidates", path: "/static/js/site.js",
			wantStatus: 200, wantHeader: map[string]string{"Cache-Control": "no-cache", "ETag": `"` + hash(js) + `"`}, wantBody: "-",
		},
		{name: "old hash", path: "/static/css/site.00000000.css", wantStatus: 404, wantBody: "-"},
		{name: "unknown", path: "/static/css/nope.css", wantStatus: 404, wantBody: "-"},
		{name: "directory", path: "/static/css/", wantStatus: 404, wantBody: "-"},
		{name: "traversal", path: "/static/../static.go", wantStatus: 404, wantBody: "-"},
		{name: "dot file", path: "/static/css/.DS_Store", wantStatus: 404, wantBody: "-"},
		{
			name: "post", method: http.MethodPost, path: css,
			wantStatus: 405, wantHeader: map[string]string{"Allow": "GET, HEAD"}, wantBody: "-",
		},
	}
	h := a.Handler()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status: got %d, want %d", res.StatusCode, tt.wantStatus)
			}
			for k, want := range tt.wantHeader {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
			if tt.wantBody == "-" {
				return
			}
			body := rec.Body.Bytes()
			if res.Header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("gzip: %v", err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatalf("gunzip: %v", err)
				}
			}
			if got := string(body); got != tt.wantBody {
				t.Errorf("body: got %q, want %q", got, tt.wantBody)
			}
		})
	}
}

// TestHandlerOverHTTP checks the headers survive a real server and that Go's
// client (which asks for gzip itself) gets the compressed variant.
func TestHandlerOverHTTP(t *testing.T) {
	a := testAssets(t)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + a.URL("css/site.css"))
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !res.Uncompressed {
		t.Errorf("got an identity response, want gzip for a client that accepts it")
	}
	if got, want := string(body), strings.Repeat("body { color: red; }\n", 50); got != want {
		t.Errorf("body: got %q, want %q", got, want)
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"deflate, gzip", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=0.5", true},
		{"*", true},
		{"*;q=0", false},
		{"br", false},
		{"identity", false},
		{"*, gzip;q=0", false},
		{"x-gzip", true},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			if got := acceptsGzip(tt.header); got != tt.want {
				t.Errorf("acceptsGzip(%q): got %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func BenchmarkHandlerGzip(b *testing.B) {
	a, err := New()
	if err != nil {
		b.Fatal(err)
	}
	h := a.Handler()
	req := httptest.NewRequest(http.MethodGet, a.URL("css/site.css"), nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
