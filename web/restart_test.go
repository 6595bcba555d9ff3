package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"socketlab/web/webtest"
)

// TestClassPagesAfterRestart: a class started on one server is served by the next one on the same
// state file: its projector and join pages answer, its code is still the class's.
func TestClassPagesAfterRestart(t *testing.T) {
	r := newRestartable(t, Config{})
	code, _ := startClass(t, r.base, "")
	r.restart()
	for _, path := range []string{"/class/" + code + "/present", "/join/" + code} {
		resp, body := get(t, r.base+path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, code) {
			t.Errorf("GET %s after the restart = %d, want 200 with the code %s", path, resp.StatusCode, code)
		}
	}
	if resp, _ := get(t, r.base+"/join/ZZZZZZ"); resp.StatusCode == http.StatusOK {
		t.Errorf("an unknown code is served after the restart")
	}
}

// TestUnreadableStateFile: a state file that is not a store does not stop the server: the log
// names the file and says classes will not survive a restart; the course and new classes work;
// the file is left as it was.
func TestUnreadableStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "classes.db")
	junk := []byte(strings.Repeat("this is not a class store\n", 500))
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs webtest.SyncBuffer
	r := newRestartableLog(t, Config{StatePath: path}, slog.New(slog.NewTextHandler(&logs, nil)))
	if got := logs.String(); !strings.Contains(got, "classes will not survive a restart") || !strings.Contains(got, path) {
		t.Errorf("log = %q, want the unreadable file named", got)
	}
	if resp, _ := get(t, r.base+"/"); resp.StatusCode != http.StatusOK {
		t.Errorf("home page = %d with an unreadable state file", resp.StatusCode)
	}
	code, _ := startClass(t, r.base, "")
	if resp, _ := get(t, r.base+"/join/"+code); resp.StatusCode != http.StatusOK {
		t.Errorf("join page of a new class = %d", resp.StatusCode)
	}
	r.stop()
	if got, _ := os.ReadFile(path); !bytes.Equal(got, junk) {
		t.Error("the unreadable state file was changed")
	}
}
