package main

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestQuantileIsNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if got := quantile(d, 0.50); got != 50*time.Millisecond {
		t.Errorf("p50 = %v, want 50ms", got)
	}
	if got := quantile(d, 0.99); got != 99*time.Millisecond {
		t.Errorf("p99 = %v, want 99ms", got)
	}
	if got := quantile(nil, 0.5); got != 0 {
		t.Errorf("p50 of nothing = %v, want 0", got)
	}
}

// An operation of a fixed 2 ms, 4 clients, 300 ms measured: about 600
// operations count, their p50 is 2 ms or a little more, and failures are
// counted apart.
func TestRunCountsOnlyTheWindow(t *testing.T) {
	op := func(ctx context.Context, key int64) error {
		time.Sleep(2 * time.Millisecond)
		if key == -1 {
			return errors.New("never")
		}
		return nil
	}
	ops := []opFunc{op, op, op, op}
	c := run(context.Background(), ops, hotKey(7), 100*time.Millisecond, 300*time.Millisecond)
	if c.Errors != 0 {
		t.Fatalf("errors %d: %s", c.Errors, c.FirstErr)
	}
	if c.Ops < 300 || c.Ops > 620 {
		t.Errorf("%d operations in 300 ms of 4 clients × 2 ms, want at most 600 and not far below", c.Ops)
	}
	if c.Total <= c.Ops {
		t.Errorf("total %d must include the warm-up beyond the %d measured", c.Total, c.Ops)
	}
	if c.P50 < 2*time.Millisecond || c.P50 > 20*time.Millisecond {
		t.Errorf("p50 %v, want about 2ms", c.P50)
	}
	failing := []opFunc{func(context.Context, int64) error { return errors.New("boom") }}
	f := run(context.Background(), failing, hotKey(1), 0, 50*time.Millisecond)
	if f.Ops != 0 || f.Errors == 0 || f.FirstErr != "boom" {
		t.Errorf("failing op: ops %d errors %d first %q", f.Ops, f.Errors, f.FirstErr)
	}
}

func sampleResults() *results {
	r := &results{Cfg: config{Clients: []int{1, 16, 64}, Rows: 100, Idle: 1000}, TallyCPU: map[string]float64{}}
	rate := map[string]float64{"tally": 1000, "native": 800, "floor": 1100, "pg-sync": 500, "pg-async": 3000}
	for sys, v := range rate {
		for _, n := range r.Cfg.Clients {
			for _, keys := range []string{"uniform", "hot"} {
				r.Cells = append(r.Cells, cell{System: sys, Clients: n, Keys: keys, Ops: int64(v), Seconds: 1, P50: time.Millisecond})
			}
		}
	}
	r.Reads = []cell{
		{System: "tally", Keys: "1000000-increment row", Ops: 10, Seconds: 1, P50: 3 * time.Millisecond},
		{System: "plain CQL", Keys: "single row", Ops: 10, Seconds: 1, P50: time.Millisecond},
	}
	r.RSSIdle = 100 << 20
	return r
}

func TestTargetsAreRatiosOfThisRun(t *testing.T) {
	r := sampleResults()
	want := map[string]bool{
		"tally / native counters, 64 clients, hot":  true, // 1000/800
		"tally / write floor, 64 clients, uniform":  true, // 1000/1100 ≥ 0.8
		"tally hot / uniform, 64 clients":           true,
		"tally RSS with 1000 idle connections (MB)": true,
	}
	for _, tg := range r.targets() {
		if !tg.Known {
			t.Errorf("%s: not measured", tg.What)
			continue
		}
		if strings.HasPrefix(tg.What, "read p50") {
			if tg.Pass || tg.Value != 3 {
				t.Errorf("read p50 ratio %v pass %v, want 3 and FAIL", tg.Value, tg.Pass)
			}
			continue
		}
		if w, ok := want[tg.What]; ok && tg.Pass != w {
			t.Errorf("%s: %v pass %v", tg.What, tg.Value, tg.Pass)
		}
	}
	md := r.markdown()
	for _, s := range []string{"| tally / native counters, 16 clients, uniform | 1.25 | ≥ 1 | PASS |", "| FAIL |"} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q", s)
		}
	}
}

func TestChartIsWellFormedSVG(t *testing.T) {
	d := xml.NewDecoder(strings.NewReader(sampleResults().svg()))
	lines := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
		}
	}
	if lines != 10 { // 5 systems × (uniform, hot)
		t.Errorf("%d lines, want 10", lines)
	}
}
