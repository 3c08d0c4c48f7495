package users

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Verifiers produced by a Postgres 15.18 cluster:
//
//	CREATE ROLE alice LOGIN PASSWORD 'sécret-pw';   -- password_encryption = scram-sha-256
//	SET password_encryption = 'md5';
//	CREATE ROLE bob LOGIN PASSWORD 'bobpw';
//	SELECT rolname, rolpassword FROM pg_authid;
const (
	pgAliceSCRAM = "SCRAM-SHA-256$4096:IfooWRhUXtJvBYNh4Y1m8g==$3mQGcl8QSaN8evGnnaCSrkvoCgcP+DyPJuF94hR8bew=:63XGHq2rW1a9sLHO1ZtaFyVYhtQfbJR8LSVhrVURE/s="
	pgBobMD5     = "md50f3f71a3dd77afe47f64231994dfd347"
)

func TestDeriveVerifierMatchesPostgres(t *testing.T) {
	pg, err := ParseVerifier(pgAliceSCRAM)
	if err != nil {
		t.Fatal(err)
	}
	v, err := DeriveVerifier("sécret-pw", pg.Salt, pg.Iterations)
	if err != nil {
		t.Fatal(err)
	}
	if v.String() != pgAliceSCRAM {
		t.Fatalf("verifier\n got %s\nwant %s", v, pgAliceSCRAM)
	}
	if !pg.Check("sécret-pw") || pg.Check("secret-pw") || pg.Check("") {
		t.Fatal("Check accepts the wrong password or rejects the right one")
	}
}

func TestMD5HashMatchesPostgres(t *testing.T) {
	if got := MD5Hash("bob", "bobpw"); got != pgBobMD5 {
		t.Fatalf("MD5Hash = %s, want %s", got, pgBobMD5)
	}
	// The client's answer to salt 01020304, as libpq computes it
	// (md5(hex hash + salt), computed independently with Python's hashlib).
	if got := MD5Response(pgBobMD5, [4]byte{1, 2, 3, 4}); got != "md5ccbb5feda3f71806b261d8d2250e9ade" {
		t.Fatalf("MD5Response = %q", got)
	}
}

func TestNewVerifierFormat(t *testing.T) {
	v, err := NewVerifier("pw")
	if err != nil {
		t.Fatal(err)
	}
	if v.Iterations != 4096 || len(v.Salt) != 16 || len(v.StoredKey) != 32 || len(v.ServerKey) != 32 {
		t.Fatalf("verifier shape: %d iterations, salt %d, keys %d/%d", v.Iterations, len(v.Salt), len(v.StoredKey), len(v.ServerKey))
	}
	s := v.String()
	if !strings.HasPrefix(s, "SCRAM-SHA-256$4096:") || strings.Count(s, "$") != 2 {
		t.Fatalf("text form %q", s)
	}
	back, err := ParseVerifier(s)
	if err != nil || back.String() != s || !back.Check("pw") {
		t.Fatalf("round trip: %v %v", back, err)
	}
	w, _ := NewVerifier("pw")
	if bytes.Equal(v.Salt, w.Salt) {
		t.Fatal("two verifiers share a salt")
	}
}

func TestParseVerifierRejects(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	key := b64(make([]byte, 32))
	for _, s := range []string{
		"", "md5abc", "SCRAM-SHA-256$", "SCRAM-SHA-256$4096:c2FsdA==",
		"SCRAM-SHA-256$x:c2FsdA==$" + key + ":" + key,
		"SCRAM-SHA-256$0:c2FsdA==$" + key + ":" + key,
		"SCRAM-SHA-256$4096:!!$" + key + ":" + key,
		"SCRAM-SHA-256$4096:c2FsdA==$" + b64(make([]byte, 31)) + ":" + key,
		"SCRAM-SHA-256$4096:c2FsdA==$" + key,
	} {
		if _, err := ParseVerifier(s); !errors.Is(err, ErrBadVerifier) {
			t.Errorf("ParseVerifier(%q) = %v, want ErrBadVerifier", s, err)
		}
	}
}

func TestFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	f := NewFile()
	pg, _ := ParseVerifier(pgAliceSCRAM)
	v, _ := NewVerifier("x")
	for _, u := range []User{
		{Name: "alice", SCRAM: pg},
		{Name: `we"ird name`, SCRAM: v, MD5: MD5Hash(`we"ird name`, "x")},
	} {
		if err := f.Put(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	text, _ := os.ReadFile(path)
	if !strings.Contains(string(text), `"alice" "`+pgAliceSCRAM+`"`+"\n") || !strings.Contains(string(text), `"we""ird name"`) {
		t.Fatalf("file text:\n%s", text)
	}
	if strings.Contains(string(text), `"x"`) {
		t.Fatal("the file holds the password")
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Users()) != 2 {
		t.Fatalf("%d users", len(g.Users()))
	}
	a, ok := g.Lookup("alice")
	if !ok || a.SCRAM.String() != pgAliceSCRAM || a.MD5 != "" {
		t.Fatalf("alice = %+v", a)
	}
	w, ok := g.Lookup(`we"ird name`)
	if !ok || !w.SCRAM.Check("x") || w.MD5 != MD5Hash(`we"ird name`, "x") {
		t.Fatalf("weird = %+v", w)
	}
	if err := g.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	if err := g.Remove("alice"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("second remove: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestParseRejects(t *testing.T) {
	for _, text := range []string{
		`alice SCRAM`,
		`"alice" "` + pgAliceSCRAM,
		`"alice"`,
		`"alice" "` + pgAliceSCRAM + `" "md5nothex"`,
		`"alice" "` + pgAliceSCRAM + `"x`,
		`"alice" "` + pgAliceSCRAM + `"` + "\n" + `"alice" "` + pgAliceSCRAM + `"`,
		`"" "` + pgAliceSCRAM + `"`,
	} {
		if _, err := Parse(strings.NewReader(text)); err == nil {
			t.Errorf("Parse(%q) accepted", text)
		}
	}
	f, err := Parse(strings.NewReader("# comment\n\n  \"a\" \"" + pgAliceSCRAM + "\"  \n"))
	if err != nil || len(f.Users()) != 1 {
		t.Fatalf("comments and blanks: %v", err)
	}
}

func TestSourceReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	if _, err := Open(path, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(missing) = %v", err)
	}
	f := NewFile()
	pg, _ := ParseVerifier(pgAliceSCRAM)
	_ = f.Put(User{Name: "alice", SCRAM: pg})
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	src, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.Lookup("bob"); ok {
		t.Fatal("bob before he was added")
	}
	_ = f.Put(User{Name: "bob", SCRAM: pg})
	time.Sleep(10 * time.Millisecond)
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, ok := src.Lookup("bob"); !ok {
		t.Fatal("bob not seen after the file changed")
	}
	// A broken file keeps the users loaded before.
	if err := os.WriteFile(path+".new", []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	if _, ok := src.Lookup("alice"); !ok {
		t.Fatal("alice lost to a broken file")
	}
}

// TestUpdateConcurrent: concurrent updates (two `tally users add` at once)
// keep every change.
func TestUpdateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	pg, _ := ParseVerifier(pgAliceSCRAM)
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- Update(path, func(f *File) error {
				time.Sleep(time.Millisecond) // widen the load-save window
				return f.Put(User{Name: fmt.Sprintf("user%d", i), SCRAM: pg})
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Users()); got != n {
		t.Fatalf("%d users after %d concurrent adds", got, n)
	}
}
