package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of Run.
type Report struct {
	GoMaxProcs int      `json:"gomaxprocs"` // of the generator
	Results    []Result `json:"results"`
}

// Result is one row: a scenario (and fan-out mode) against one target.
type Result struct {
	Round    int     `json:"round"`
	Target   string  `json:"target"`
	Scenario string  `json:"scenario"`       // fanout, echo, connect, idle
	Mode     string  `json:"mode,omitempty"` // fan-out: closed, paced
	Conns    int     `json:"conns"`          // receivers, clients or connections
	Seconds  float64 `json:"seconds"`        // measured time
	Ops      int64   `json:"ops"`            // deliveries, round trips or connections
	PerSec   float64 `json:"per_sec"`        // Ops / Seconds
	P50Ms    float64 `json:"p50_ms"`         // fan-out: receive − send; echo: round trip; connect: open+CONNECT
	P99Ms    float64 `json:"p99_ms"`
	Sent     int64   `json:"sent,omitempty"` // fan-out: messages sent
	Lost     int64   `json:"lost"`           // fan-out: deliveries missing after the grace period

	KiBPerConn float64 `json:"kib_per_conn,omitempty"` // idle: server RSS growth per connection
	RSSBefore  int64   `json:"rss_before,omitempty"`
	RSSAfter   int64   `json:"rss_after,omitempty"`

	GenCPU float64 `json:"gen_cpu"` // cores the generator itself used meanwhile (≈ its core count: generator-bound)

	Errors int64  `json:"errors"`          // failed connections or reads
	Error  string `json:"error,omitempty"` // why the row is incomplete
}

func (r *Result) setLatency(h *Histogram) {
	if h.Count() == 0 {
		return
	}
	r.P50Ms = ms(h.Quantile(0.50))
	r.P99Ms = ms(h.Quantile(0.99))
}

// cpuMeter measures the generator's CPU use over a phase.
type cpuMeter struct {
	cpu  time.Duration
	wall time.Time
}

func startCPU() cpuMeter { return cpuMeter{cpuTime(), time.Now()} }

// cores is the CPU time used since start divided by the wall time.
func (m cpuMeter) cores() float64 {
	wall := time.Since(m.wall)
	if wall <= 0 || m.cpu == 0 {
		return 0
	}
	return float64(cpuTime()-m.cpu) / float64(wall)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Write prints the report as a table, or as indented JSON.
func (rep Report) Write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tSCENARIO\tCONNS\tRESULT\t\tP50 MS\tP99 MS\tNOTES")
	for i, r := range rep.Results {
		if r.Round > 1 && rep.Results[i-1].Round != r.Round {
			fmt.Fprintf(tw, "(round %d)\t\t\t\t\t\t\t\n", r.Round)
		}
		name := r.Scenario
		if r.Mode != "" {
			name += " " + r.Mode
		}
		var result, unit, notes string
		switch r.Scenario {
		case Fanout:
			result, unit = thousands(r.PerSec), "deliveries/s"
			notes = fmt.Sprintf("%d msgs, lost %d", r.Sent, r.Lost)
		case Echo:
			result, unit = thousands(r.PerSec), "round trips/s"
		case Connect:
			result, unit = thousands(r.PerSec), "connections/s"
		case Idle:
			result, unit = strconv.FormatFloat(r.KiBPerConn, 'f', 1, 64), "KiB/conn"
			notes = fmt.Sprintf("rss %.1f→%.1f MiB", float64(r.RSSBefore)/(1<<20), float64(r.RSSAfter)/(1<<20))
		}
		p50, p99 := "", ""
		if r.P50Ms > 0 || r.P99Ms > 0 {
			p50, p99 = strconv.FormatFloat(r.P50Ms, 'f', 2, 64), strconv.FormatFloat(r.P99Ms, 'f', 2, 64)
		}
		if r.GenCPU > 0 {
			notes = strings.TrimSpace(notes + fmt.Sprintf(" gen %.0f%% cpu", 100*r.GenCPU))
		}
		if r.Error != "" {
			notes += " ERROR: " + r.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Target, name, r.Conns, result, unit, p50, p99, notes)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	rep.writeRatios(w)
	_, err := fmt.Fprintf(w, "(generator GOMAXPROCS=%d)\n", rep.GoMaxProcs)
	return err
}

// writeRatios prints, when two targets were measured, the second's figure over the first's for
// each row, round by round (the rate; for idle, KiB per connection), then the median.
func (rep Report) writeRatios(w io.Writer) {
	var names []string
	for _, r := range rep.Results {
		if !slices.Contains(names, r.Target) {
			names = append(names, r.Target)
		}
	}
	if len(names) != 2 {
		return
	}
	type key struct {
		sc, mode string
		conns    int
	}
	var order []key
	ratios := map[key][]float64{}
	firsts := map[key]Result{}
	for _, r := range rep.Results {
		k := key{r.Scenario, r.Mode, r.Conns}
		if r.Target == names[0] {
			firsts[k] = r
			continue
		}
		a, ok := firsts[k]
		if !ok || a.Round != r.Round || a.Error != "" || r.Error != "" {
			continue
		}
		x, y := a.PerSec, r.PerSec
		if r.Scenario == Idle {
			x, y = a.KiBPerConn, r.KiBPerConn
		}
		if x <= 0 {
			continue
		}
		if _, seen := ratios[k]; !seen {
			order = append(order, k)
		}
		ratios[k] = append(ratios[k], y/x)
	}
	if len(order) == 0 {
		return
	}
	fmt.Fprintf(w, "%s / %s, by round, then the median:\n", names[1], names[0])
	for _, k := range order {
		rs := ratios[k]
		parts := make([]string, len(rs))
		for i, v := range rs {
			parts[i] = strconv.FormatFloat(v, 'f', 2, 64)
		}
		sorted := slices.Sorted(slices.Values(rs))
		med := sorted[len(sorted)/2]
		if len(sorted)%2 == 0 {
			med = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
		}
		fmt.Fprintf(w, "  %s %s %d: %s  median %.2f\n", k.sc, k.mode, k.conns, strings.Join(parts, " "), med)
	}
}

// thousands formats f rounded to an integer with thin separators: 118234.4 → "118,234".
func thousands(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
