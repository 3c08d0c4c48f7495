package e2e

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/tests/harness"
)

// TestOversizedMessagesBoundedMemory: 1,000 connections each start up and
// then send a message header announcing 100 MB followed by a few bytes.
// Each is answered FATAL 08P01 and closed without tally buffering the
// body, so the process's heap grows by a few MB, not 100 GB. The figures
// are logged (go test -v -run TestOversizedMessagesBoundedMemory).
func TestOversizedMessagesBoundedMemory(t *testing.T) {
	const clients = 1000
	const announced = 100 << 20
	tl := harness.StartWith(t, func(c *app.Config) { c.MaxConnections = 2 * clients })

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peakHeap, peakSys atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peakHeap.Load() {
				peakHeap.Store(m.HeapInuse)
			}
			if m.Sys > peakSys.Load() {
				peakSys.Store(m.Sys)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()

	// Every client starts up first and holds its connection, so that all
	// 1,000 are open at once when the oversized headers arrive.
	conns := make([]net.Conn, clients)
	readers := make([]*bufio.Reader, clients)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	sem := make(chan struct{}, 64)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			nc, err := net.DialTimeout("tcp", tl.Addr, 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			_ = nc.SetDeadline(time.Now().Add(60 * time.Second))
			startup, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
				Parameters: map[string]string{"user": "tester", "database": tl.Database}}).Encode(nil)
			if _, err := nc.Write(startup); err != nil {
				errs <- err
				return
			}
			br := bufio.NewReader(nc)
			if err := untilReadyRaw(br); err != nil {
				errs <- err
				return
			}
			conns[i], readers[i] = nc, br
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("startup: %v", err)
	}
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()

	header := make([]byte, 5+4096)
	header[0] = 'Q'
	binary.BigEndian.PutUint32(header[1:5], announced)
	for i := 5; i < len(header); i++ {
		header[i] = 'x'
	}
	var fatal atomic.Int64
	var wg2 sync.WaitGroup
	for i, nc := range conns {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			_, _ = nc.Write(header)
			typ, body, err := readMsg(readers[i])
			if err == nil && typ == 'E' && fieldOf(body, 'C') == "08P01" && fieldOf(body, 'S') == "FATAL" {
				if _, _, err := readMsg(readers[i]); err == io.EOF {
					fatal.Add(1)
				}
			}
		}()
	}
	wg2.Wait()
	close(stop)
	<-sampled

	growth := int64(peakHeap.Load()) - int64(before.HeapInuse)
	t.Logf("%d connections, each announcing %d MB: %d answered FATAL 08P01 and closed; heap in use %.1f MB before, peak %.1f MB (growth %.1f MB); Sys %.1f MB before, peak %.1f MB",
		clients, announced>>20, fatal.Load(), mb(before.HeapInuse), mb(peakHeap.Load()), float64(growth)/(1<<20), mb(before.Sys), mb(peakSys.Load()))
	if fatal.Load() != clients {
		t.Errorf("%d of %d connections got FATAL 08P01 and were closed", fatal.Load(), clients)
	}
	// Buffering even one body would add 100 MB.
	if growth > 64<<20 {
		t.Errorf("heap grew by %.1f MB: oversized bodies are being buffered", float64(growth)/(1<<20))
	}
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }

// readMsg reads one backend message: its type and body.
func readMsg(br *bufio.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:]) - 4
	if n > 1<<20 {
		return 0, nil, io.ErrUnexpectedEOF
	}
	body := make([]byte, n)
	_, err := io.ReadFull(br, body)
	return hdr[0], body, err
}

// untilReadyRaw reads messages up to ReadyForQuery.
func untilReadyRaw(br *bufio.Reader) error {
	for {
		typ, body, err := readMsg(br)
		if err != nil {
			return err
		}
		if typ == 'E' {
			return io.ErrUnexpectedEOF
		}
		if typ == 'Z' && len(body) == 1 {
			return nil
		}
	}
}

// fieldOf returns a field of an ErrorResponse body.
func fieldOf(body []byte, code byte) string {
	for len(body) > 0 && body[0] != 0 {
		f := body[0]
		end := 1
		for end < len(body) && body[end] != 0 {
			end++
		}
		if f == code {
			return string(body[1:end])
		}
		body = body[min(end+1, len(body)):]
	}
	return ""
}

// TestSlowLargeMessagesBoundedMemory: 100 connections each announce a
// 32 MB message — under the 64 MiB limit, so it is not refused — and send
// only 4 KB of it, then wait. tally holds what arrived, not what was
// announced (proxy/framegate.go): the heap grows by a few MB, not 3.2 GB.
// When they hang up, their sessions end.
func TestSlowLargeMessagesBoundedMemory(t *testing.T) {
	const clients = 100
	const announced = 32 << 20
	tl := harness.Start(t)
	conns := make([]net.Conn, 0, clients)
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()
	for range clients {
		nc, err := net.DialTimeout("tcp", tl.Addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
		_ = nc.SetDeadline(time.Now().Add(60 * time.Second))
		startup, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
			Parameters: map[string]string{"user": "tester", "database": tl.Database}}).Encode(nil)
		if _, err := nc.Write(startup); err != nil {
			t.Fatal(err)
		}
		if err := untilReadyRaw(bufio.NewReader(nc)); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	msg := make([]byte, 5+4096)
	msg[0] = 'Q'
	binary.BigEndian.PutUint32(msg[1:5], announced)
	for _, nc := range conns {
		if _, err := nc.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second) // let tally read what was sent
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d connections, each 4 KB into a %d MB message: heap in use %.1f MB before, %.1f MB after (growth %.1f MB)",
		clients, announced>>20, mb(before.HeapInuse), mb(after.HeapInuse), float64(growth)/(1<<20))
	if growth > 64<<20 {
		t.Errorf("heap grew by %.1f MB: announced bodies are allocated before they arrive", float64(growth)/(1<<20))
	}
	// The session still works for a client that finishes its message.
	c := tl.Connect(t)
	var n int
	if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("another client: %d, %v", n, err)
	}
}
