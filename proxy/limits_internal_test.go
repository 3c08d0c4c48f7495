package proxy

import (
	"testing"
	"time"
)

// TestAuthThrottle: the delay doubles per failure from one address up to
// the cap, other addresses are unaffected, a success or a quiet spell
// forgets, and the table of addresses stays bounded.
func TestAuthThrottle(t *testing.T) {
	th := newAuthThrottle(100*time.Millisecond, time.Second)
	now := time.Unix(1000, 0)
	var got []time.Duration
	for range 6 {
		got = append(got, th.failed("10.0.0.1", now))
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays %v, want %v ms", got, want)
		}
	}
	if d := th.failed("10.0.0.2", now); d != 100*time.Millisecond {
		t.Errorf("another address: %v", d)
	}
	th.succeeded("10.0.0.1")
	if d := th.failed("10.0.0.1", now); d != 100*time.Millisecond {
		t.Errorf("after a success: %v", d)
	}
	th.failed("10.0.0.1", now)
	if d := th.failed("10.0.0.1", now.Add(authForget+time.Second)); d != 100*time.Millisecond {
		t.Errorf("after a quiet spell: %v", d)
	}
	for i := range maxThrottled + 10 {
		th.failed(string(rune(i)), now)
	}
	if n := len(th.failures); n > maxThrottled {
		t.Errorf("%d addresses remembered, bound %d", n, maxThrottled)
	}
	if d := newAuthThrottle(0, 0).failed("x", now); d != 0 {
		t.Errorf("disabled throttle: %v", d)
	}
}
