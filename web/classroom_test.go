package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"socketlab/playground/classroom"
	"socketlab/templates"
)

// newClassTestApp serves the real app with the test server's own origin allowed, so browser
// pages can open their sockets.
func newClassTestApp(t *testing.T) (*App, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	// Tests start a class per lesson from one address, more than a client may hold.
	a, err := New(slog.New(slog.DiscardHandler), Config{Origins: []string{base}, classes: 1000})
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return a, base
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// startClass posts the start form like the browser does and returns the code and key.
func startClass(t *testing.T, base, lesson string) (code, key string) {
	t.Helper()
	resp, err := noRedirect.PostForm(base+"/class", url.Values{"lesson": {lesson}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /class = %d, want 303", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	m := regexp.MustCompile(`^/class/([2-9A-HJKMNP-Z]{6})/present#key=([A-Za-z0-9_-]{43})$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("Location %q: want /class/CODE/present#key=KEY (256-bit key)", loc)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
	}
	return m[1], m[2]
}

func TestClassPages(t *testing.T) {
	a, base := newClassTestApp(t)
	lesson := a.content.Load().idx.Lessons()[0].Slug
	code, key := startClass(t, base, lesson)

	t.Run("cross-origin start refused", func(t *testing.T) {
		req, _ := http.NewRequest("POST", base+"/class", strings.NewReader("lesson="))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status = %d, want 403", resp.StatusCode)
		}
	})
	t.Run("json start", func(t *testing.T) {
		req, _ := http.NewRequest("POST", base+"/class", strings.NewReader("lesson="+lesson))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct{ Code, Key, Present, Join, Path string }
		json.NewDecoder(resp.Body).Decode(&got)
		if resp.StatusCode != 201 || got.Join != base+"/join/"+got.Code || got.Path != "/class/"+got.Code+"/socket.io/" || len(got.Key) < 43 {
			t.Errorf("status %d, %+v", resp.StatusCode, got)
		}
	})

	tests := []struct {
		name, path string
		status     int
		testid     string // an element the page must have
		contains   string
	}{
		{"start page", "/class?lesson=" + lesson, 200, "class-start-page", "Start a class"},
		{"presenter view", "/class/" + code + "/present", 200, "class-qr", base + "/join/" + code},
		{"presenter view, lower case", "/class/" + strings.ToLower(code) + "/present", 200, "class-code", code},
		{"join form", "/join", 200, "join-code", "Join a class"},
		{"student page", "/join/" + code, 200, "name-form", code},
		{"unknown code", "/join/ZZZZZZ", 404, "class-error", "No class has the code"},
		{"not a code", "/join/O0O0O0", 404, "class-error", "No class has the code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, base+tt.path)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if strings.Contains(body, key) {
				t.Errorf("page contains the presenter key")
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if doc.Find(`[data-testid="`+tt.testid+`"]`).Length() == 0 {
				t.Errorf("no [data-testid=%s]", tt.testid)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
			doc.Find("*").Each(func(_ int, s *goquery.Selection) {
				for _, at := range s.Nodes[0].Attr {
					if strings.HasPrefix(at.Key, "on") || at.Key == "style" {
						t.Errorf("<%s> has attribute %s: breaks the CSP", goquery.NodeName(s), at.Key)
					}
				}
			})
		})
	}

	t.Run("class pages admit the device with the member cookie", func(t *testing.T) {
		for _, path := range []string{"/join/" + strings.ToLower(code), "/class/" + code + "/present"} {
			resp, _ := get(t, base+path)
			var got *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == classroom.MemberCookie(code) {
					got = c
				}
			}
			if got == nil || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Value == "" || strings.Contains(got.Value, key) {
				t.Errorf("%s: member cookie %+v, want an HttpOnly SameSite=Lax cookie (not the presenter key)", path, got)
			}
		}
		if resp, _ := get(t, base+"/join/ZZZZZZ"); slices.ContainsFunc(resp.Cookies(), func(c *http.Cookie) bool { return c.Name != classroom.IdentityCookie }) {
			t.Errorf("unknown code: cookies %v, want the device's identity only", resp.Cookies())
		}
	})
	t.Run("join redirect normalizes the code", func(t *testing.T) {
		resp, err := noRedirect.Get(base + "/join?code=+" + strings.ToLower(code) + "+")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); got != "/join/"+code {
			t.Errorf("Location = %q, want /join/%s", got, code)
		}
	})
	t.Run("QR", func(t *testing.T) {
		_, body := get(t, base+"/class/"+code+"/present")
		doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
		d, _ := doc.Find(`[data-testid="class-qr"] path`).Attr("d")
		want, err := classQR(base + "/join/" + code)
		if err != nil {
			t.Fatal(err)
		}
		if d == "" || d != want.Path || want.Size < 21 {
			t.Errorf("QR path %d bytes, want the %d-module code of the join URL", len(d), want.Size)
		}
	})
	t.Run("socket path of an unknown class", func(t *testing.T) {
		resp, body := get(t, base+"/class/ZZZZZZ/socket.io/?EIO=4&transport=polling")
		if resp.StatusCode != 404 || !strings.Contains(body, "no class") {
			t.Errorf("status %d body %q", resp.StatusCode, body)
		}
	})
	t.Run("socket handshake", func(t *testing.T) {
		resp, err := http.Get(base + "/class/" + code + "/socket.io/?EIO=4&transport=polling")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(string(b), `0{"sid":`) {
			t.Errorf("handshake %d %q", resp.StatusCode, b)
		}
	})
}

// TestClassJoinAddresses: the projector's join address (and QR) is one students' devices can
// open: -public-url, else the instructor's own address unless it is localhost, else this
// machine's network address; with none, the projector says why.
func TestClassJoinAddresses(t *testing.T) {
	lan := []string{"http://192.168.1.20:8080", "http://10.0.0.5:8080"}
	tests := []struct {
		name      string
		cfg       Config
		host      string
		join      string
		others    []string
		problemed bool
	}{
		{"public URL wins", Config{PublicURL: "http://192.168.1.20:8080/", JoinBases: lan}, "localhost:8080",
			"http://192.168.1.20:8080/join/ABC234", nil, false},
		{"the instructor's own LAN address", Config{}, "laptop.local:8080", "http://laptop.local:8080/join/ABC234", nil, false},
		{"own address first, the others offered", Config{JoinBases: lan}, "10.0.0.5:8080",
			"http://10.0.0.5:8080/join/ABC234", []string{"http://192.168.1.20:8080/join/ABC234"}, false},
		{"localhost is replaced by the network address", Config{JoinBases: lan}, "localhost:8080",
			"http://192.168.1.20:8080/join/ABC234", []string{"http://10.0.0.5:8080/join/ABC234"}, false},
		{"127.0.0.1 too", Config{JoinBases: lan[:1]}, "127.0.0.1:8080", "http://192.168.1.20:8080/join/ABC234", nil, false},
		{"loopback only: warned", Config{JoinProblem: "listens on localhost"}, "localhost:8080",
			"http://localhost:8080/join/ABC234", nil, true},
		{"IPv6 loopback, nothing known: warned", Config{}, "[::1]:8080", "http://[::1]:8080/join/ABC234", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &App{cfg: tt.cfg}
			r := httptest.NewRequest("GET", "/class/X/present", nil)
			r.Host = tt.host
			join, others, problem := a.joinAddresses(r, "ABC234")
			if join != tt.join || !slices.Equal(others, tt.others) || (problem != "") != tt.problemed {
				t.Errorf("got %q %q %q, want %q %q problem=%v", join, others, problem, tt.join, tt.others, tt.problemed)
			}
			if tt.cfg.JoinProblem != "" && problem != tt.cfg.JoinProblem {
				t.Errorf("problem %q, want the server's own reason %q", problem, tt.cfg.JoinProblem)
			}
		})
	}
}

// TestClassProjectorReach: the projector page shows the warning and the other addresses.
func TestClassProjectorReach(t *testing.T) {
	render := func(v templates.ClassPresentView) string {
		var b strings.Builder
		if err := templates.ClassPresentPage(v).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	page := render(templates.ClassPresentView{Code: "ABC234", JoinURL: "http://localhost:8080/join/ABC234", JoinProblem: "listens on localhost only"})
	if !strings.Contains(page, `data-testid="class-join-problem"`) || !strings.Contains(page, "listens on localhost only") {
		t.Errorf("no reach warning on the projector:\n%s", page)
	}
	page = render(templates.ClassPresentView{Code: "ABC234", JoinURL: "http://192.168.1.20:8080/join/ABC234", OtherJoinURLs: []string{"http://10.0.0.5:8080/join/ABC234"}})
	if strings.Contains(page, `data-testid="class-join-problem"`) || !strings.Contains(page, "http://10.0.0.5:8080/join/ABC234") {
		t.Errorf("want the other address and no warning:\n%s", page)
	}
}

// TestClassStartButton: every lesson page and the playground carry a "Start a class" form that
// posts to /class (no script: strict CSP), and submitting it starts a class from that page.
func TestClassStartButton(t *testing.T) {
	a, base := newClassTestApp(t)
	type page struct{ name, path, lesson, label string }
	pages := []page{{"playground", "/playground", "", "Start a class from the playground"}}
	for _, l := range a.content.Load().idx.Lessons() {
		pages = append(pages, page{"lesson " + l.Slug, "/lessons/" + l.Slug, l.Slug, "Start a class with this lesson"})
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			resp, body := get(t, base+p.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d", p.path, resp.StatusCode)
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			form := doc.Find(`form[data-testid="class-start"]`)
			if form.Length() != 1 {
				t.Fatalf("%d start forms, want 1", form.Length())
			}
			if m, _ := form.Attr("method"); m != "post" {
				t.Errorf("method = %q, want post", m)
			}
			if act, _ := form.Attr("action"); act != "/class" {
				t.Errorf("action = %q, want /class", act)
			}
			if got := strings.TrimSpace(form.Find(`button[type="submit"]`).Text()); got != p.label {
				t.Errorf("button says %q, want %q", got, p.label)
			}
			vals := url.Values{}
			form.Find("input").Each(func(_ int, in *goquery.Selection) {
				n, _ := in.Attr("name")
				v, _ := in.Attr("value")
				vals.Set(n, v)
			})
			if vals.Get("lesson") != p.lesson {
				t.Errorf("form posts lesson=%q, want %q", vals.Get("lesson"), p.lesson)
			}
			// Submit it as the browser would (same-origin form POST) and open the presenter view.
			req, _ := http.NewRequest("POST", base+"/class", strings.NewReader(vals.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", base)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			resp, err = noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "/present#key=") {
				t.Fatalf("submitting the form: %d Location %q", resp.StatusCode, loc)
			}
			_, body = get(t, base+strings.Split(loc, "#")[0])
			doc, _ = goquery.NewDocumentFromReader(strings.NewReader(body))
			if got, _ := doc.Find(`[data-testid="class-present"]`).Attr("data-lesson"); got != p.lesson {
				t.Errorf("presenter view's lesson = %q, want %q", got, p.lesson)
			}
		})
	}
}

// TestClassLessonsFollowReload: under serve -watch the class pages list the lessons of the
// current content: a lesson added while serving can be picked, started from and followed.
func TestClassLessonsFollowReload(t *testing.T) {
	dir, _, srv, events, _ := watchApp(t, map[string]string{"01-one.md": lessonText("One", "First lesson.")})
	options := func(path string) (values []string, selected string) {
		t.Helper()
		_, body := get(t, srv.URL+path)
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		doc.Find(`#class-lesson option`).Each(func(_ int, o *goquery.Selection) {
			v, _ := o.Attr("value")
			values = append(values, v)
			if _, ok := o.Attr("selected"); ok {
				selected = v
			}
		})
		return values, selected
	}
	if got, _ := options("/class"); strings.Join(got, ",") != ",one" {
		t.Fatalf("lessons before the reload = %q, want [\"\" one]", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "02-two.md"), []byte(lessonText("Two", "A new lesson.")), 0o644); err != nil {
		t.Fatal(err)
	}
	waitReload(t, events, "two")
	got, sel := options("/class?lesson=two")
	if strings.Join(got, ",") != ",one,two" || sel != "two" {
		t.Errorf("lessons after the reload = %q (selected %q), want [\"\" one two] with two selected", got, sel)
	}
	code, _ := startClass(t, srv.URL, "two")
	_, body := get(t, srv.URL+"/class/"+code+"/present")
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
	if l, _ := doc.Find(`[data-testid="class-present"]`).Attr("data-lesson"); l != "two" {
		t.Errorf("class started from %q, want two", l)
	}
	if doc.Find(`[data-testid="follow-url"] option[value="/lessons/two"]`).Length() != 1 {
		t.Errorf("follow me does not offer the new lesson")
	}
}
