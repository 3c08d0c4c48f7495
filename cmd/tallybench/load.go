package main

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// opFunc runs one operation on key for one client. Each client has its own
// opFunc (its own connection, where the system has one per client).
type opFunc func(ctx context.Context, key int64) error

// cell is the outcome of one system at one client count and key spread.
type cell struct {
	System   string
	Clients  int
	Keys     string // "uniform" or "hot"
	Ops      int64  // completed in the measured window
	Seconds  float64
	P50      time.Duration
	P99      time.Duration
	Errors   int64
	FirstErr string
	// Total counts every operation the cell ran, warm-up included (for
	// CPU seconds per increment).
	Total int64
}

// PerSec is operations per second in the measured window.
func (c cell) PerSec() float64 {
	if c.Seconds == 0 {
		return 0
	}
	return float64(c.Ops) / c.Seconds
}

// keyPicker chooses the key of the next operation.
type keyPicker func(r *rand.Rand) int64

func uniformKeys(rows int64) keyPicker {
	return func(r *rand.Rand) int64 { return 1 + r.Int64N(rows) }
}

func hotKey(key int64) keyPicker { return func(*rand.Rand) int64 { return key } }

// run drives clients goroutines, one per op, for warmup then dur. An
// operation counts (and its latency is kept) when it completes inside the
// measured window, so operations straddling the window's edges neither
// inflate nor deflate the rate.
func run(ctx context.Context, ops []opFunc, pick keyPicker, warmup, dur time.Duration) cell {
	var (
		start, end atomic.Int64 // unix ns of the measured window; 0 until known
		total      atomic.Int64
		errs       atomic.Int64
		firstErr   atomic.Value
		wg         sync.WaitGroup
	)
	lat := make([][]time.Duration, len(ops))
	stop := make(chan struct{})
	for i, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				key := pick(r)
				t0 := time.Now()
				err := op(ctx, key)
				t1 := time.Now()
				total.Add(1)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					if errs.Add(1) == 1 {
						firstErr.Store(err.Error())
					}
					time.Sleep(10 * time.Millisecond) // don't spin on a broken system
					continue
				}
				if s := start.Load(); s != 0 && t1.UnixNano() >= s {
					if e := end.Load(); e == 0 || t1.UnixNano() <= e {
						lat[i] = append(lat[i], t1.Sub(t0))
					}
				}
			}
		}()
	}
	sleep(ctx, warmup)
	t0 := time.Now()
	start.Store(t0.UnixNano())
	sleep(ctx, dur)
	t1 := time.Now()
	end.Store(t1.UnixNano())
	close(stop)
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	c := cell{Ops: int64(len(all)), Seconds: t1.Sub(t0).Seconds(), Errors: errs.Load(), Total: total.Load()}
	c.P50, c.P99 = quantile(all, 0.50), quantile(all, 0.99)
	if s, ok := firstErr.Load().(string); ok {
		c.FirstErr = s
	}
	return c
}

// quantile of sorted durations (nearest rank); 0 when empty.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
