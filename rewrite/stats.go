package rewrite

import "sync/atomic"

// Stats counts what operations did, for metrics. A nil *Stats counts
// nothing. The engine owns one and every session's Env points at it.
type Stats struct {
	// IdempotencyHits counts statements whose idempotency key was already
	// claimed by an earlier attempt: the recorded result was returned, or
	// the first attempt's writes were replayed with its stamp.
	IdempotencyHits atomic.Int64
}

func (s *Stats) idempotencyHit() {
	if s != nil {
		s.IdempotencyHits.Add(1)
	}
}
