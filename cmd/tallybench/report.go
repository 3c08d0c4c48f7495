package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// target is one acceptance ratio of issue 5.
type target struct {
	What  string
	Value float64 // NaN when not measured
	Want  string  // e.g. "≥ 1.0"
	Pass  bool
	Known bool
}

func (r *results) cell(sys string, clients int, keys string) (cell, bool) {
	for _, c := range r.Cells {
		if c.System == sys && c.Clients == clients && c.Keys == keys {
			return c, c.Ops > 0
		}
	}
	return cell{}, false
}

// ratio of two cells' rates, and whether both were measured.
func (r *results) ratio(sysA string, nA int, keysA, sysB string, nB int, keysB string) (float64, bool) {
	a, okA := r.cell(sysA, nA, keysA)
	b, okB := r.cell(sysB, nB, keysB)
	if !okA || !okB {
		return 0, false
	}
	return a.PerSec() / b.PerSec(), true
}

func atLeast(what string, v float64, ok bool, want float64) target {
	return target{What: what, Value: v, Want: fmt.Sprintf("≥ %.2g", want), Pass: ok && v >= want, Known: ok}
}

func atMost(what string, v float64, ok bool, want float64, unit string) target {
	return target{What: what, Value: v, Want: fmt.Sprintf("≤ %g%s", want, unit), Pass: ok && v <= want, Known: ok}
}

// targets are issue 5's acceptance ratios, from this run only.
func (r *results) targets() []target {
	var ts []target
	for _, n := range []int{16, 64} {
		for _, keys := range []string{"uniform", "hot"} {
			v, ok := r.ratio("tally", n, keys, "native", n, keys)
			ts = append(ts, atLeast(fmt.Sprintf("tally / native counters, %d clients, %s", n, keys), v, ok, 1.0))
		}
	}
	v, ok := r.ratio("tally", 64, "uniform", "floor", 64, "uniform")
	ts = append(ts, atLeast("tally / write floor, 64 clients, uniform", v, ok, 0.8))
	v, ok = r.ratio("tally", 64, "hot", "tally", 64, "uniform")
	ts = append(ts, atLeast("tally hot / uniform, 64 clients", v, ok, 0.9))
	if len(r.Reads) >= 2 && r.Reads[0].Ops > 0 && r.Reads[1].Ops > 0 {
		ts = append(ts, atMost(fmt.Sprintf("read p50: tally on the %d-increment row / plain CQL read", r.History),
			float64(r.Reads[0].P50)/float64(r.Reads[1].P50), true, 2, "×"))
	} else {
		ts = append(ts, atMost("read p50: tally / plain CQL read", 0, false, 2, "×"))
	}
	if len(r.Reads) >= 4 && r.Reads[3].Ops > 0 && r.Reads[1].Ops > 0 {
		ts = append(ts, atMost("the same, after flush and compaction",
			float64(r.Reads[3].P50)/float64(r.Reads[1].P50), true, 2, "×"))
	}
	ts = append(ts, atMost(fmt.Sprintf("tally RSS with %d idle connections (MB)", r.Cfg.Idle), mb(r.RSSIdle), r.RSSIdle > 0, 150, " MB"))
	return ts
}

// markdown renders the whole report.
func (r *results) markdown() string {
	var b strings.Builder
	cfg := r.Cfg
	mode := "full"
	if cfg.Quick {
		mode = "QUICK"
	}
	fmt.Fprintf(&b, "# tally benchmark (%s mode), %s\n\n", mode, r.Started.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "%d CPUs, load average at start %s, at the end %s; Cassandra %s; consistency %s for every request (tally's and gocql's); "+
		"tally --shards %d; %s warm-up + %s measured per cell; uniform keys over %d rows, hot = one row.\n\n",
		runtime.NumCPU(), r.LoadStart, loadavg(), cfg.Cassandra, cfg.Consistent, cfg.Shards, cfg.Warmup, cfg.Duration, cfg.Rows)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", strings.Join(strings.Fields(n), " "))
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("## Increments\n\n")
	b.WriteString("| system | keys | clients | increments/s | p50 ms | p99 ms | errors |\n|---|---|--:|--:|--:|--:|--:|\n")
	for _, sys := range systemOrder {
		for _, keys := range []string{"uniform", "hot"} {
			for _, n := range cfg.Clients {
				c, _ := r.cell(sys, n, keys)
				if c.System == "" {
					continue
				}
				fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %.2f | %.2f | %d |\n",
					systemName[sys], keys, n, c.PerSec(), ms(c.P50), ms(c.P99), c.Errors)
			}
		}
	}
	if len(r.Reads) > 0 {
		b.WriteString("\n## Reads (1 client)\n\n| read | reads/s | p50 ms | p99 ms | errors |\n|---|--:|--:|--:|--:|\n")
		for _, c := range r.Reads {
			what := "plain single-row CQL read (gocql)"
			switch {
			case c.System == "tally" && strings.HasSuffix(c.Keys, "-increment row"):
				what = fmt.Sprintf("tally `SELECT likes … WHERE post_id = $1`, row with %d increments after rollups, right after they were written", r.History)
			case c.System == "tally" && strings.HasSuffix(c.Keys, ", compacted"):
				what = "the same tally read after `nodetool flush` and `compact` of tally's keyspace"
			case c.System == "tally":
				what = "tally, the same SELECT of a row without increments (for scale)"
			}
			fmt.Fprintf(&b, "| %s | %.0f | %.3f | %.3f | %d |\n", what, c.PerSec(), ms(c.P50), ms(c.P99), c.Errors)
		}
	}
	b.WriteString("\n## Cost of tally\n\n")
	if len(r.TallyCPU) > 0 {
		b.WriteString("| cell | tally CPU s per 10,000 increments |\n|---|--:|\n")
		for _, keys := range []string{"uniform", "hot"} {
			for _, n := range cfg.Clients {
				if v, ok := r.TallyCPU[cellID("tally", n, keys)]; ok {
					fmt.Fprintf(&b, "| %d clients, %s | %.2f |\n", n, keys, v)
				}
			}
		}
		b.WriteString("\n")
	}
	if r.RSSIdle > 0 {
		fmt.Fprintf(&b, "tally resident memory: %.1f MB after the load, %.1f MB with %d idle connections open.\n\n",
			mb(r.RSSBase), mb(r.RSSIdle), cfg.Idle)
	}
	if r.ScaleOne > 0 {
		fmt.Fprintf(&b, "## Scale-out\n\n%d clients, uniform: one tally %.0f increments/s, two tally processes (clients split evenly) %.0f increments/s: **%.2f×**.\n\n",
			r.ScaleN, r.ScaleOne, r.ScaleTwo, r.ScaleTwo/r.ScaleOne)
	}
	b.WriteString("## Targets (ratios from this run)\n\n| target | measured | want | |\n|---|--:|---|---|\n")
	for _, t := range r.targets() {
		val, verdict := "n/a", "n/a"
		if t.Known {
			val, verdict = fmt.Sprintf("%.2f", t.Value), "FAIL"
			if t.Pass {
				verdict = "PASS"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.What, val, t.Want, verdict)
	}
	var refs []string
	for _, sys := range []string{"native", "floor", "pg-sync", "pg-async"} {
		if v, ok := r.ratio(sys, 64, "hot", sys, 64, "uniform"); ok {
			refs = append(refs, fmt.Sprintf("%s %.2f", sys, v))
		}
	}
	if len(refs) > 0 {
		fmt.Fprintf(&b, "\nhot / uniform at 64 clients of the others, for reference: %s.\n", strings.Join(refs, ", "))
	}
	if r.Profile != "" {
		fmt.Fprintf(&b, "\n## tally CPU profile (top)\n\n```\n%s```\n", r.Profile)
	}
	return b.String()
}

// writeCSV writes one row per measurement.
func (r *results) writeCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	_ = w.Write([]string{"kind", "system", "keys", "clients", "ops_per_s", "p50_ms", "p99_ms", "errors", "ops", "seconds", "tally_cpu_s_per_10k"})
	row := func(kind string, c cell, cpu string) {
		_ = w.Write([]string{kind, c.System, c.Keys, fmt.Sprint(c.Clients), fmt.Sprintf("%.1f", c.PerSec()),
			fmt.Sprintf("%.3f", ms(c.P50)), fmt.Sprintf("%.3f", ms(c.P99)), fmt.Sprint(c.Errors),
			fmt.Sprint(c.Ops), fmt.Sprintf("%.2f", c.Seconds), cpu})
	}
	for _, c := range r.Cells {
		cpu := ""
		if v, ok := r.TallyCPU[cellID(c.System, c.Clients, c.Keys)]; ok {
			cpu = fmt.Sprintf("%.3f", v)
		}
		row("increment", c, cpu)
	}
	for _, c := range r.Reads {
		row("read", c, "")
	}
	if r.RSSIdle > 0 {
		_ = w.Write([]string{"rss_mb", "tally", "after load", "0", fmt.Sprintf("%.1f", mb(r.RSSBase))})
		_ = w.Write([]string{"rss_mb", "tally", "idle connections", fmt.Sprint(r.Cfg.Idle), fmt.Sprintf("%.1f", mb(r.RSSIdle))})
	}
	if r.ScaleOne > 0 {
		_ = w.Write([]string{"scale_out", "tally x1", "uniform", fmt.Sprint(r.ScaleN), fmt.Sprintf("%.1f", r.ScaleOne)})
		_ = w.Write([]string{"scale_out", "tally x2", "uniform", fmt.Sprint(r.ScaleN), fmt.Sprintf("%.1f", r.ScaleTwo)})
	}
	for _, t := range r.targets() {
		verdict := "n/a"
		if t.Known {
			verdict = map[bool]string{true: "PASS", false: "FAIL"}[t.Pass]
		}
		_ = w.Write([]string{"target", t.What, t.Want, "", fmt.Sprintf("%.3f", t.Value), "", "", "", "", "", verdict})
	}
	w.Flush()
	return w.Error()
}

// writeReports writes results.md, results.csv and throughput.svg, and
// prints the Markdown.
func writeReports(cfg config, r *results) error {
	md := r.markdown()
	files := map[string]string{
		"results.md":     md,
		"throughput.svg": r.svg(),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(cfg.Out, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	if err := r.writeCSV(filepath.Join(cfg.Out, "results.csv")); err != nil {
		return err
	}
	fmt.Println(md)
	logf("wrote %s/results.md, results.csv, throughput.svg in %s", cfg.Out, time.Since(r.Started).Round(time.Second))
	return nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
