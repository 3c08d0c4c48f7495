package proxy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/jackc/pgx/v5/pgproto3"
)

// gateStream is a connection's bytes: SSLRequest, StartupMessage, a small
// Query, a Query over the gate's threshold, a Sync.
func gateStream() []byte {
	var b []byte
	b, _ = (&pgproto3.SSLRequest{}).Encode(b)
	b, _ = (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}}).Encode(b)
	b, _ = (&pgproto3.Query{String: "SELECT 1"}).Encode(b)
	b, _ = (&pgproto3.Query{String: string(bytes.Repeat([]byte("x"), 3*gateThreshold))}).Encode(b)
	b, _ = (&pgproto3.Sync{}).Encode(b)
	return b
}

// TestFrameGateTransparent: whatever the read sizes, the gate hands on
// exactly the bytes it read, and pgproto3 decodes every message.
func TestFrameGateTransparent(t *testing.T) {
	in := gateStream()
	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(in),
		"one byte": iotest.OneByteReader(bytes.NewReader(in)),
		"half":     iotest.HalfReader(bytes.NewReader(in)),
	} {
		out, err := io.ReadAll(newFrameGate(r, 1<<20))
		if err != nil || !bytes.Equal(out, in) {
			t.Errorf("%s: %d of %d bytes, %v", name, len(out), len(in), err)
		}
	}
	be := pgproto3.NewBackend(newFrameGate(iotest.HalfReader(bytes.NewReader(in)), 1<<20), io.Discard)
	var got []string
	for range 2 {
		m, err := be.ReceiveStartupMessage()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, typeName(m))
	}
	for range 3 {
		m, err := be.Receive()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, typeName(m))
	}
	if want := "*pgproto3.SSLRequest *pgproto3.StartupMessage *pgproto3.Query *pgproto3.Query *pgproto3.Sync"; joinTypes(got) != want {
		t.Errorf("decoded %s, want %s", joinTypes(got), want)
	}
}

func typeName(m any) string { return fmtType(m) }

// TestFrameGateBuffersWhatArrives: a message announced at 32 MB of which
// 4 KB arrived makes the gate hold 4 KB, not 32 MB; one over the maximum
// passes its header at once, for pgproto3 to refuse.
func TestFrameGateBuffersWhatArrives(t *testing.T) {
	startup, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}}).Encode(nil)
	hdr := []byte{'Q', 0, 0, 0, 0}
	binary.BigEndian.PutUint32(hdr[1:], 32<<20)
	partial := append(append(append([]byte(nil), startup...), hdr...), bytes.Repeat([]byte("x"), 4096)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := io.ReadAll(newFrameGate(bytes.NewReader(partial), 64<<20))
	runtime.ReadMemStats(&after)
	if err != nil || !bytes.Equal(out, partial) {
		t.Fatalf("read %d of %d bytes, %v", len(out), len(partial), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("the gate allocated %d bytes for 4 KB received of 32 MB announced", alloc)
	}
	out, _ = io.ReadAll(newFrameGate(bytes.NewReader(partial), 1<<20))
	if !bytes.Equal(out, partial) {
		t.Errorf("over the maximum: %d of %d bytes passed", len(out), len(partial))
	}
}

// FuzzFrameGate: any byte stream, read in any chunking, comes out of the
// gate unchanged up to where it ends.
func FuzzFrameGate(f *testing.F) {
	f.Add(gateStream()[:200], 3)
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 47, 0, 0, 0, 4}, 1)
	f.Add([]byte{0, 0, 0, 9, 0, 3, 0, 0, 0, 'Q', 0xff, 0xff, 0xff, 0xff}, 7)
	f.Fuzz(func(t *testing.T, in []byte, chunk int) {
		var r io.Reader = bytes.NewReader(in)
		if chunk%2 == 1 {
			r = iotest.OneByteReader(r)
		}
		out, err := io.ReadAll(newFrameGate(r, 1<<16+chunk&0xffff))
		if err != nil && err != io.ErrUnexpectedEOF {
			t.Fatalf("err %v", err)
		}
		if !bytes.Equal(out, in) && !(err == io.ErrUnexpectedEOF && bytes.HasPrefix(in, out)) {
			t.Fatalf("out %x is not in %x", out, in)
		}
	})
}

func fmtType(m any) string { return fmt.Sprintf("%T", m) }

func joinTypes(s []string) string { return strings.Join(s, " ") }
