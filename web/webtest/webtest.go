// Package webtest is test support for the web app's tests and the command's: an HTTP GET that
// returns the whole body, and a buffer a process's output goroutine and a test may share.
package webtest

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"
)

// Get fetches url and returns the response with its whole body; any error fails the test.
func Get(t testing.TB, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp, string(b)
}

// SyncBuffer is a bytes.Buffer safe for one writer goroutine and readers at the same time.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
