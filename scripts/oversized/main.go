// Command oversized measures tally's memory under hostile clients: it
// opens N connections to a running tally, starts each up, then sends from
// every one a message header announcing -announce bytes followed by a few
// KB, and reports how many were answered FATAL 08P01 and closed, and the
// tally process's resident memory (VmRSS, and VmHWM: its peak) from /proc
// before and after.
//
//	bin/tally serve --listen 127.0.0.1:6543 & go run ./scripts/oversized -addr 127.0.0.1:6543 -pid $!
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5432", "tally's address")
	pid := flag.Int("pid", 0, "tally's process id (for /proc/PID/status)")
	n := flag.Int("n", 1000, "connections")
	announce := flag.Int("announce", 100<<20, "body length each header announces")
	db := flag.String("database", "oversized", "database name")
	flag.Parse()
	if *pid == 0 {
		fmt.Fprintln(os.Stderr, "oversized: -pid is required")
		os.Exit(2)
	}
	fmt.Printf("before: %s\n", memory(*pid))
	conns := make([]net.Conn, *n)
	readers := make([]*bufio.Reader, *n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var failed atomic.Int64
	for i := range *n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			nc, err := net.DialTimeout("tcp", *addr, 10*time.Second)
			if err != nil {
				failed.Add(1)
				return
			}
			_ = nc.SetDeadline(time.Now().Add(2 * time.Minute))
			b, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
				Parameters: map[string]string{"user": "oversized", "database": *db}}).Encode(nil)
			br := bufio.NewReader(nc)
			if _, err := nc.Write(b); err != nil || untilReady(br) != nil {
				failed.Add(1)
				nc.Close()
				return
			}
			conns[i], readers[i] = nc, br
		}()
	}
	wg.Wait()
	fmt.Printf("%d connections started up (%d failed): %s\n", int64(*n)-failed.Load(), failed.Load(), memory(*pid))
	msg := make([]byte, 5+4096)
	msg[0] = 'Q'
	binary.BigEndian.PutUint32(msg[1:], uint32(*announce))
	for i := 5; i < len(msg); i++ {
		msg[i] = 'x'
	}
	var fatal atomic.Int64
	for i, nc := range conns {
		if nc == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer nc.Close()
			_, _ = nc.Write(msg)
			typ, body, err := readMsg(readers[i])
			if err == nil && typ == 'E' && strings.Contains(string(body), "08P01") {
				if _, _, err := readMsg(readers[i]); err == io.EOF {
					fatal.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%d answered FATAL 08P01 and closed: %s\n", fatal.Load(), memory(*pid))
}

// memory reads VmRSS and VmHWM of pid.
func memory(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
			out = append(out, strings.Join(strings.Fields(line), " "))
		}
	}
	return strings.Join(out, ", ")
}

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

func untilReady(br *bufio.Reader) error {
	for {
		typ, _, err := readMsg(br)
		if err != nil {
			return err
		}
		if typ == 'E' {
			return io.ErrUnexpectedEOF
		}
		if typ == 'Z' {
			return nil
		}
	}
}
