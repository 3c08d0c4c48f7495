package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/tests/harness"
)

// peerCert is the certificate the server presented on conn.
func peerCert(t *testing.T, conn *pgx.Conn) []byte {
	t.Helper()
	tc, ok := conn.PgConn().Conn().(*tls.Conn)
	if !ok {
		t.Fatalf("connection is %T, not TLS", conn.PgConn().Conn())
	}
	return tc.ConnectionState().PeerCertificates[0].Raw
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReloadCertificate: Reload (SIGHUP) puts a renewed certificate in
// force for new connections; an open connection keeps working.
func TestReloadCertificate(t *testing.T) {
	first, second := makeCerts(t), makeCerts(t)
	s := harness.StartServer(t, func(c *app.Config) { c.TLSCert, c.TLSKey = first.cert, first.key })
	ctx := context.Background()
	connect := func() *pgx.Conn {
		c, err := pgx.Connect(ctx, s.DSN()[:len(s.DSN())-len("sslmode=disable")]+"sslmode=require")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(ctx) })
		return c
	}
	old := connect()
	firstDER := peerCert(t, old)
	copyFile(t, second.cert, first.cert)
	copyFile(t, second.key, first.key)
	if again := peerCert(t, connect()); !bytes.Equal(again, firstDER) {
		t.Fatal("the new certificate was used before Reload")
	}
	if err := s.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	renewed := peerCert(t, connect())
	if bytes.Equal(renewed, firstDER) {
		t.Fatal("after Reload a new connection still gets the old certificate")
	}
	var one int
	if err := old.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("the connection opened before Reload: %v", err)
	}
	// A broken certificate file: Reload fails, the renewed one stays.
	if err := os.WriteFile(first.cert, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err == nil {
		t.Fatal("Reload of a broken certificate succeeded")
	}
	if got := peerCert(t, connect()); !bytes.Equal(got, renewed) {
		t.Fatal("a failed Reload changed the certificate")
	}
}

// TestReloadUsersFile: Reload (SIGHUP) re-reads the users file; a broken
// file is reported and the users loaded before still log in, without
// dropping open connections.
func TestReloadUsersFile(t *testing.T) {
	path := writeUsersFile(t, testUser{name: "dave", password: "dave-pw"})
	s := harness.StartServer(t, func(c *app.Config) { c.UsersFile = path })
	ctx := context.Background()
	url := func(user, pw string) string {
		return "postgres://" + user + ":" + pw + "@" + s.Addr + "/" + s.Database + "?sslmode=disable"
	}
	open, err := pgx.Connect(ctx, url("dave", "dave-pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close(ctx)
	if err := os.WriteFile(path, []byte("not a users file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err == nil {
		t.Fatal("Reload of a broken users file succeeded")
	}
	c, err := pgx.Connect(ctx, url("dave", "dave-pw"))
	if err != nil {
		t.Fatalf("dave after a failed reload: %v", err)
	}
	c.Close(ctx)
	writeUsersFile2 := writeUsersFile(t, testUser{name: "erin", password: "erin-pw"})
	copyFile(t, writeUsersFile2, path)
	if err := s.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if c, err := pgx.Connect(ctx, url("erin", "erin-pw")); err != nil {
		t.Fatalf("erin after reload: %v", err)
	} else {
		c.Close(ctx)
	}
	if _, err := pgx.Connect(ctx, url("dave", "dave-pw")); err == nil {
		t.Fatal("dave, removed from the file, still logs in")
	}
	var one int
	if err := open.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("connection opened before the reloads: %v", err)
	}
}
