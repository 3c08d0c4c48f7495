package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tally-db/tally/users"
)

// usersUsage is `tally users --help`.
const usersUsage = `tally users — manage the users file that password authentication checks

usage:
  tally users add NAME --users-file PATH [--password-stdin] [--md5]
        add NAME, or change their password; the password is read from the
        terminal (asked twice), or as one line from stdin with --password-stdin
  tally users list --users-file PATH
        list the users and the methods each can use
  tally users remove NAME --users-file PATH
        remove NAME

The file stores, per user, a SCRAM-SHA-256 verifier (salt, 4096 iterations,
StoredKey, ServerKey: what Postgres keeps in pg_authid.rolpassword), never the
password. --md5 also stores Postgres' md5 hash (md5 of password + user name)
so that md5 authentication works: that hash is password-equivalent, anyone
who reads it can log in with md5, so keep the file private (it is mode 0600).
tally serve --users-file PATH reloads the file when it changes.
`

// usersCmd runs `tally users SUBCOMMAND`.
func usersCmd(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			fmt.Fprint(os.Stderr, usersUsage)
			return errors.New("users: name a subcommand: add, list or remove")
		}
		fmt.Fprint(stdout, usersUsage)
		return nil
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "add":
		return usersAdd(rest, stdin, stdout)
	case "list":
		return usersList(rest, stdout)
	case "remove":
		return usersRemove(rest, stdout)
	default:
		fmt.Fprint(os.Stderr, usersUsage)
		return fmt.Errorf("users: unknown subcommand %q", sub)
	}
}

// usersFlags is the flag set of a users subcommand.
func usersFlags(name, synopsis string, path *string) *flag.FlagSet {
	set := flag.NewFlagSet("users "+name, flag.ContinueOnError)
	set.StringVar(path, "users-file", "", "the users file (created by the first add)")
	set.Usage = func() {
		fmt.Fprintf(set.Output(), "usage: tally users %s\n\nflags:\n", synopsis)
		set.PrintDefaults()
	}
	return set
}

// parseWithNames parses flags that may come before or after the
// positional arguments, and returns the positional ones.
func parseWithNames(set *flag.FlagSet, args []string) ([]string, error) {
	var names []string
	for {
		if err := set.Parse(args); err != nil {
			return nil, err
		}
		args = set.Args()
		if len(args) == 0 {
			return names, nil
		}
		names = append(names, args[0])
		args = args[1:]
	}
}

func usersAdd(args []string, stdin io.Reader, stdout io.Writer) error {
	var path string
	set := usersFlags("add", "add NAME --users-file PATH [--password-stdin] [--md5]", &path)
	fromStdin := set.Bool("password-stdin", false, "read the password as one line from stdin (for scripts)")
	md5 := set.Bool("md5", false, "also store the md5 hash for md5 authentication (password-equivalent: whoever reads it can log in)")
	names, err := parseWithNames(set, args)
	if err != nil {
		return err
	}
	name, err := oneName(names, path)
	if err != nil {
		return err
	}
	if err := users.ValidName(name); err != nil {
		return err
	}
	password, err := readPassword(name, *fromStdin, stdin)
	if err != nil {
		return err
	}
	v, err := users.NewVerifier(password)
	if err != nil {
		return err
	}
	u := users.User{Name: name, SCRAM: v}
	if *md5 {
		u.MD5 = users.MD5Hash(name, password)
	}
	var existed bool
	err = users.Update(path, func(f *users.File) error {
		_, existed = f.Lookup(name)
		return f.Put(u)
	})
	if err != nil {
		return err
	}
	verb := "added"
	if existed {
		verb = "updated"
	}
	fmt.Fprintf(stdout, "%s user %q in %s\n", verb, name, path)
	return nil
}

func usersList(args []string, stdout io.Writer) error {
	var path string
	set := usersFlags("list", "list --users-file PATH", &path)
	names, err := parseWithNames(set, args)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return fmt.Errorf("users list: unexpected argument %q", names[0])
	}
	if path == "" {
		return errors.New("users list: --users-file is required")
	}
	f, err := users.Load(path)
	if err != nil {
		return err
	}
	for _, u := range f.Users() {
		methods := "scram-sha-256, password"
		if u.MD5 != "" {
			methods += ", md5"
		}
		fmt.Fprintf(stdout, "%s\t%s\n", u.Name, methods)
	}
	return nil
}

func usersRemove(args []string, stdout io.Writer) error {
	var path string
	set := usersFlags("remove", "remove NAME --users-file PATH", &path)
	names, err := parseWithNames(set, args)
	if err != nil {
		return err
	}
	name, err := oneName(names, path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	if err := users.Update(path, func(f *users.File) error { return f.Remove(name) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed user %q from %s\n", name, path)
	return nil
}

// oneName checks a subcommand got one user name and a users file.
func oneName(names []string, path string) (string, error) {
	switch {
	case len(names) != 1:
		return "", fmt.Errorf("users: want one user name, got %d", len(names))
	case path == "":
		return "", errors.New("users: --users-file is required")
	}
	return names[0], nil
}

// readPassword reads the password: one line of stdin with fromStdin,
// else from the terminal without echo, asked twice.
func readPassword(name string, fromStdin bool, stdin io.Reader) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("users: read the password from stdin: %w", err)
		}
		return nonEmpty(strings.TrimRight(line, "\r\n"))
	}
	tty, ok := stdin.(*os.File)
	if !ok || !isTerminal(tty) {
		return "", errors.New("users: stdin is not a terminal; pipe the password with --password-stdin")
	}
	first, err := promptNoEcho(tty, fmt.Sprintf("Password for %s: ", name))
	if err != nil {
		return "", err
	}
	again, err := promptNoEcho(tty, "Enter it again: ")
	if err != nil {
		return "", err
	}
	if first != again {
		return "", errors.New("users: the passwords don't match")
	}
	return nonEmpty(first)
}

// nonEmpty refuses an empty password: Postgres never accepts one.
func nonEmpty(pw string) (string, error) {
	if pw == "" {
		return "", errors.New("users: the password is empty")
	}
	return pw, nil
}

// promptNoEcho prints prompt on stderr and reads a line from tty with
// echo off.
func promptNoEcho(tty *os.File, prompt string) (string, error) {
	fmt.Fprint(os.Stderr, prompt)
	restore, err := echoOff(tty)
	if err != nil {
		return "", fmt.Errorf("users: turn terminal echo off: %w", err)
	}
	// Ctrl-C at the prompt must not leave the terminal without echo.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			restore()
			fmt.Fprintln(os.Stderr)
			os.Exit(130)
		case <-done:
		}
	}()
	line, err := bufio.NewReader(tty).ReadString('\n')
	signal.Stop(sigs)
	close(done)
	restore()
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("users: read the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
