package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tally-db/tally/users"
)

// TestUsersCommands: add (with and without --md5, flags before or after
// the name), list, change a password, remove.
func TestUsersCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	var out bytes.Buffer
	run := func(stdin string, args ...string) error {
		out.Reset()
		return usersCmd(args, strings.NewReader(stdin), &out)
	}
	if err := run("s3cret\n", "add", "alice", "--users-file", path, "--password-stdin", "--md5"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != `added user "alice" in `+path+"\n" {
		t.Fatalf("add: %q", got)
	}
	if err := run("bobpw", "add", "--users-file", path, "--password-stdin", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := run("", "list", "--users-file", path); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "alice\tscram-sha-256, password, md5\nbob\tscram-sha-256, password\n" {
		t.Fatalf("list: %q", got)
	}
	f, err := users.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f.Lookup("alice")
	b, _ := f.Lookup("bob")
	if !a.SCRAM.Check("s3cret") || a.MD5 != users.MD5Hash("alice", "s3cret") || !b.SCRAM.Check("bobpw") || b.MD5 != "" {
		t.Fatalf("stored credentials: %+v %+v", a, b)
	}
	text, _ := os.ReadFile(path)
	if bytes.Contains(text, []byte("s3cret")) || bytes.Contains(text, []byte("bobpw")) {
		t.Fatal("a password is in the file")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	// A new password replaces the old one (and drops md5 without --md5).
	if err := run("new\n", "add", "alice", "--users-file", path, "--password-stdin"); err != nil || !strings.HasPrefix(out.String(), "updated") {
		t.Fatalf("change: %v %q", err, out.String())
	}
	f, _ = users.Load(path)
	if a, _ := f.Lookup("alice"); !a.SCRAM.Check("new") || a.SCRAM.Check("s3cret") || a.MD5 != "" {
		t.Fatalf("after the change: %+v", a)
	}
	if err := run("", "remove", "bob", "--users-file", path); err != nil {
		t.Fatal(err)
	}
	if err := run("", "remove", "bob", "--users-file", path); !errors.Is(err, users.ErrNoUser) {
		t.Fatalf("remove twice: %v", err)
	}
}

// TestUsersCommandErrors: bad invocations fail with a reason, -h helps.
func TestUsersCommandErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	var out bytes.Buffer
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"add", "alice", "--users-file", path, "--password-stdin"}, "read the password"},
		{"\n", []string{"add", "alice", "--users-file", path, "--password-stdin"}, "empty"},
		{"pw\n", []string{"add", "alice", "--password-stdin"}, "--users-file is required"},
		{"pw\n", []string{"add", "--users-file", path, "--password-stdin"}, "want one user name"},
		{"pw\n", []string{"add", "a\tb", "--users-file", path, "--password-stdin"}, "control characters"},
		{"pw\n", []string{"add", "alice", "--users-file", path}, "not a terminal"},
		{"", []string{"list", "--users-file", path}, "no such file"},
		{"", []string{"frobnicate"}, "unknown subcommand"},
		{"", nil, "name a subcommand"},
	} {
		err := usersCmd(tc.args, strings.NewReader(tc.stdin), &out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("users %q: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed add left a file: %v", err)
	}
	for _, sub := range []string{"add", "list", "remove"} {
		if err := usersCmd([]string{sub, "-h"}, strings.NewReader(""), &out); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("users %s -h: %v", sub, err)
		}
	}
	out.Reset()
	if err := usersCmd([]string{"--help"}, strings.NewReader(""), &out); err != nil || !strings.Contains(out.String(), "tally users add NAME") {
		t.Fatalf("users --help: %v %q", err, out.String())
	}
}
