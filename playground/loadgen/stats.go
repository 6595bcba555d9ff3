package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Stats is the body of a bench server's GET /stats (see doc.go).
type Stats struct {
	RSS         int64  `json:"rss"`
	Connections *int64 `json:"connections,omitempty"`
	Goroutines  int64  `json:"goroutines,omitempty"`
	Runtime     string `json:"runtime,omitempty"`
}

// statsURL is http://HOST:PORT/stats for a target ws://HOST:PORT/....
func statsURL(target string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	return "http://" + u.Host + "/stats", nil
}

func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1},
	}
}

func getStats(ctx context.Context, hc *http.Client, statsURL string, gc bool) (Stats, error) {
	u := statsURL
	if gc {
		u += "?gc=1"
	}
	var st Stats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return st, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return st, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return st, fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("GET %s: %w", u, err)
	}
	if st.RSS <= 0 {
		return st, fmt.Errorf("GET %s: no rss in %.120q", u, body)
	}
	return st, nil
}
