package activity

import (
	"net"
	"testing"
)

func TestSessionLifecycle(t *testing.T) {
	r := NewRegistry()
	a := r.Start(7, "db", "alice", "app", &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 5555})
	b := r.Start(3, "db", "bob", "", &net.UnixAddr{Name: "/tmp/s", Net: "unix"})
	a.Begin("BEGIN")
	a.Finish('T')
	a.Begin("UPDATE t SET c = c + 1")
	if got := r.CountByState(); got[Active] != 1 || got[Idle] != 1 {
		t.Fatalf("while running: %v", got)
	}
	a.Finish('T')
	b.Begin("SELECT 1/0")
	b.Finish('E')
	bs := r.Backends()
	if len(bs) != 2 || bs[0].PID != 3 || bs[1].PID != 7 {
		t.Fatalf("backends not by pid: %+v", bs)
	}
	x := bs[1]
	if x.State != IdleInTx || x.Query != "UPDATE t SET c = c + 1" || x.ClientAddr != "10.0.0.1" || x.ClientPort != 5555 ||
		x.XactStart.IsZero() || x.XactStart.After(x.QueryStart) || x.User != "alice" || x.ApplicationName != "app" {
		t.Fatalf("alice: %+v", x)
	}
	if bs[0].State != IdleInFailed || bs[0].ClientAddr != "" {
		t.Fatalf("bob: %+v", bs[0])
	}
	a.Begin("COMMIT")
	a.Finish('I')
	a.SetApplicationName("renamed")
	if x := r.Backends()[1]; x.State != Idle || !x.XactStart.IsZero() || x.ApplicationName != "renamed" {
		t.Fatalf("after COMMIT: %+v", x)
	}
	a.End()
	if bs := r.Backends(); len(bs) != 1 || bs[0].PID != 3 {
		t.Fatalf("after End: %+v", bs)
	}
}
