// Package static embeds the site's own CSS and JavaScript and serves them
// under content-hashed URLs (/static/css/site.3f9a1c2b.css) that can be
// cached forever. Hashes and gzip variants are computed once, by New.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed css js img
var files embed.FS

// Prefix is the URL path under which Handler serves the assets.
const Prefix = "/static/"

const (
	hashLen        = 8 // hex digits of SHA-256 kept in URLs and ETags
	immutableCache = "public, max-age=31536000, immutable"
	revalidate     = "no-cache"
)

// asset is one embedded file, ready to serve.
type asset struct {
	name        string // "css/site.css"
	hashed      string // "css/site.3f9a1c2b.css"
	hash        string // "3f9a1c2b"
	contentType string
	body        []byte
	gz          []byte // nil when not worth compressing
}

// Assets is the immutable set of embedded files. It is safe for concurrent use.
type Assets struct {
	byName   map[string]*asset // by logical name ("css/site.css")
	byHashed map[string]*asset // by hashed name ("css/site.3f9a1c2b.css")
}

// New hashes and precompresses the embedded files.
func New() (*Assets, error) {
	return newFromFS(files)
}

// newFromFS builds Assets from any fs.FS (tests pass an fstest.MapFS).
func newFromFS(fsys fs.FS) (*Assets, error) {
	a := &Assets{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		ext := path.Ext(name)
		ctype := contentType(ext)
		if ctype == "" {
			return fmt.Errorf("static: %s: unknown content type for %q", name, ext)
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:hashLen]
		as := &asset{
			name:        name,
			hashed:      strings.TrimSuffix(name, ext) + "." + hash + ext,
			hash:        hash,
			contentType: ctype,
			body:        body,
		}
		if compressible(ctype) {
			gz, err := gzipBytes(body)
			if err != nil {
				return fmt.Errorf("static: gzip %s: %w", name, err)
			}
			if len(gz) < len(body) {
				as.gz = gz
			}
		}
		if other, dup := a.byHashed[as.hashed]; dup {
			return fmt.Errorf("static: %s and %s have the same hashed name %s", other.name, name, as.hashed)
		}
		a.byName[name] = as
		a.byHashed[as.hashed] = as
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static: loading assets: %w", err)
	}
	return a, nil
}

// URL returns the hashed URL of the named asset ("css/site.css" →
// "/static/css/site.3f9a1c2b.css"). An unknown name gives Prefix+name, which
// Handler answers with 404, so a typo shows up as a broken link, not a panic.
func (a *Assets) URL(name string) string {
	name = strings.TrimPrefix(name, "/")
	if as, ok := a.byName[name]; ok {
		return Prefix + as.hashed
	}
	return Prefix + name
}

// ImportMap maps the plain URL of every JavaScript module to its hashed URL
// ("/static/js/sio.js" → "/static/js/sio.3f9a1c2b.js"), for a page's
// <script type="importmap">: a module's own imports ("./sio.js") resolve to
// plain URLs, which the map sends to the cached-forever hashed ones.
func (a *Assets) ImportMap() map[string]string {
	m := map[string]string{}
	for name, as := range a.byName {
		if path.Ext(name) == ".js" {
			m[Prefix+name] = Prefix + as.hashed
		}
	}
	return m
}

// Bytes returns the content of the named asset ("css/site.css") and whether it exists: for
// socketlab export, which writes the assets beside the pages.
func (a *Assets) Bytes(name string) ([]byte, bool) {
	as, ok := a.byName[strings.TrimPrefix(name, "/")]
	if !ok {
		return nil, false
	}
	return as.body, true
}

// Has reports whether the named asset exists ("js/site.js").
func (a *Assets) Has(name string) bool {
	_, ok := a.byName[strings.TrimPrefix(name, "/")]
	return ok
}

// Names lists the logical names of all assets, sorted.
func (a *Assets) Names() []string {
	names := make([]string, 0, len(a.byName))
	for _, as := range a.byHashed {
		names = append(names, as.name)
	}
	slices.Sort(names)
	return names
}

// Handler serves the assets. Mount it at Prefix ("/static/"); it strips the
// prefix itself (a path without the prefix is also accepted).
//
// Hashed URLs get Cache-Control immutable for a year and ETag "<hash>"
// ("<hash>-gzip" for the gzip variant). A logical name without a hash
// (/static/js/sio.js) is served too, with Cache-Control: no-cache, so that
// relative ES module imports between our files keep working; any other name,
// including an old hash, is 404.
func (a *Assets) Handler() http.Handler {
	return http.HandlerFunc(a.serve)
}

func (a *Assets) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, Prefix), "/")
	cache := immutableCache
	as, ok := a.byHashed[name]
	if !ok {
		as, ok = a.byName[name]
		cache = revalidate
	}
	if !ok {
		http.NotFound(w, r)
		return
	}

	h := w.Header()
	body, etag := as.body, `"`+as.hash+`"`
	if as.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = as.gz, `"`+as.hash+`-gzip"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Type", as.contentType)
	h.Set("Cache-Control", cache)
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")

	if etagMatch(r.Header.Get("If-None-Match"), as.hash) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body) // the client went away; nothing to do
	}
}

// contentType is the Content-Type for a file extension, or "" when unknown.
func contentType(ext string) string {
	switch ext {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return mime.TypeByExtension(ext)
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "application/json") ||
		strings.HasPrefix(ctype, "image/svg+xml")
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip
// (RFC 9110 §12.5.3: "gzip" or "*" with a non-zero q).
func acceptsGzip(header string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		ok := qNonZero(params)
		if coding == "*" {
			star = ok
			continue
		}
		return ok
	}
	return star
}

func qNonZero(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q > 0
		}
	}
	return true
}

// etagMatch reports whether If-None-Match names either variant of hash
// (weak comparison, as RFC 9110 §13.1.2 asks for If-None-Match).
func etagMatch(header, hash string) bool {
	if header == "" {
		return false
	}
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == `"`+hash+`"` || tag == `"`+hash+`-gzip"` {
			return true
		}
	}
	return false
}
