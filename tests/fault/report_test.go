//go:build fault

package fault

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// report is one scenario's figures: labelled lines printed as a block when
// the scenario ends and again in the suite's summary.
type report struct {
	name  string
	start time.Time

	mu     sync.Mutex
	lines  [][2]string // label, text
	dur    time.Duration
	failed bool
}

// newReport starts the figures of scenario name; they print when t ends.
func (s *suite) newReport(t *testing.T, name string) *report {
	r := &report{name: name, start: time.Now()}
	s.mu.Lock()
	s.reports = append(s.reports, r)
	s.mu.Unlock()
	t.Cleanup(func() {
		r.mu.Lock()
		r.dur = time.Since(r.start)
		r.failed = t.Failed()
		r.mu.Unlock()
		fmt.Fprint(os.Stdout, r.String())
	})
	return r
}

// add appends a line under label.
func (r *report) add(label, format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, [2]string{label, fmt.Sprintf(format, a...)})
}

func (r *report) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	status := "PASS"
	if r.failed {
		status = "FAIL"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "== %s  %s  (%s)\n", r.name, status, r.dur.Round(time.Second))
	width := 0
	for _, l := range r.lines {
		width = max(width, len(l[0]))
	}
	for _, l := range r.lines {
		fmt.Fprintf(&b, "   %-*s  %s\n", width, l[0]+":", l[1])
	}
	return b.String()
}

// printSummary prints every scenario's block again, in run order.
func (s *suite) printSummary() {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(os.Stdout, "\n==== fault suite summary (%s total; tally logs in %s)\n",
		time.Since(s.started).Round(time.Second), s.logDir)
	for _, r := range s.reports {
		fmt.Fprint(os.Stdout, r.String())
	}
}

// counts is a concurrency-safe tally of named events (error classes).
type counts struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counts) inc(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[name]++
}

// String lists the events by name: "08007×3 conn×12".
func (c *counts) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) == 0 {
		return "none"
	}
	names := make([]string, 0, len(c.m))
	for n := range c.m {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s×%d", n, c.m[n])
	}
	return strings.Join(parts, " ")
}
