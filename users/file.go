package users

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

// The users file has one user per line, in the quoted style of
// pgbouncer's auth_file, with an optional third field:
//
//	"alice" "SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>"
//	"bob" "SCRAM-SHA-256$4096:..." "md5<32 hex digits>"
//
// A '"' inside a field is written '""'. Blank lines and lines starting
// with '#' are ignored. The file is written with mode 0600, atomically
// (a temporary file renamed over it).

// fileHeader starts every file Save writes.
const fileHeader = "# tally users file: \"name\" \"SCRAM-SHA-256 verifier\" [\"md5 hash\"], one user per line.\n" +
	"# Edit it with `tally users add|remove`. The md5 hash, when present, is password-equivalent.\n"

// ErrNoUser is returned by Remove for a user that isn't in the file.
var ErrNoUser = errors.New("users: no such user")

// User is one user's credentials.
type User struct {
	Name  string
	SCRAM Verifier
	// MD5 is Postgres' md5 hash ("md5" + 32 hex digits), or "" when md5
	// authentication is not possible for this user.
	MD5 string
}

// File is the parsed users file: users by name.
type File struct {
	users map[string]User
}

// NewFile returns an empty users file.
func NewFile() *File { return &File{users: make(map[string]User)} }

// ValidName reports why name can't be a user name, or nil. Names are
// what Postgres allows in a startup packet minus control characters.
func ValidName(name string) error {
	switch {
	case name == "":
		return errors.New("users: empty user name")
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("users: user name %q has control characters", name)
	case len(name) > 63:
		// NAMEDATALEN-1: Postgres truncates longer role names.
		return fmt.Errorf("users: user name %q is longer than 63 bytes", name)
	}
	return nil
}

// Lookup returns the user called name.
func (f *File) Lookup(name string) (User, bool) {
	u, ok := f.users[name]
	return u, ok
}

// Put adds or replaces a user.
func (f *File) Put(u User) error {
	if err := ValidName(u.Name); err != nil {
		return err
	}
	if u.MD5 != "" && !validMD5Hash(u.MD5) {
		return fmt.Errorf("%w: md5 hash of %q", ErrBadVerifier, u.Name)
	}
	f.users[u.Name] = u
	return nil
}

// Remove deletes a user; ErrNoUser if there is none.
func (f *File) Remove(name string) error {
	if _, ok := f.users[name]; !ok {
		return fmt.Errorf("%w: %q", ErrNoUser, name)
	}
	delete(f.users, name)
	return nil
}

// Users returns the users in name order.
func (f *File) Users() []User {
	out := make([]User, 0, len(f.users))
	for _, u := range f.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Load reads the users file at path. A missing file is an error wrapping
// fs.ErrNotExist.
func Load(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer fh.Close()
	f, err := Parse(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse reads a users file.
func Parse(r io.Reader) (*File, error) {
	f := NewFile()
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		u, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if _, dup := f.users[u.Name]; dup {
			return nil, fmt.Errorf("line %d: user %q appears twice", n, u.Name)
		}
		if err := f.Put(u); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("users: read: %w", err)
	}
	return f, nil
}

// parseLine parses `"name" "verifier" ["md5hash"]`.
func parseLine(line string) (User, error) {
	fields, err := splitQuoted(line)
	if err != nil {
		return User{}, err
	}
	if len(fields) < 2 || len(fields) > 3 {
		return User{}, fmt.Errorf("users: want \"name\" \"verifier\" [\"md5 hash\"], got %d fields", len(fields))
	}
	v, err := ParseVerifier(fields[1])
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", fields[0], err)
	}
	u := User{Name: fields[0], SCRAM: v}
	if len(fields) == 3 {
		u.MD5 = fields[2]
	}
	return u, nil
}

// splitQuoted splits a line of space-separated "quoted" fields.
func splitQuoted(line string) ([]string, error) {
	var fields []string
	for {
		line = strings.TrimLeft(line, " \t")
		if line == "" {
			return fields, nil
		}
		if line[0] != '"' {
			return nil, fmt.Errorf("users: field %d is not quoted", len(fields)+1)
		}
		var b strings.Builder
		i := 1
		for {
			j := strings.IndexByte(line[i:], '"')
			if j < 0 {
				return nil, fmt.Errorf("users: field %d has no closing quote", len(fields)+1)
			}
			b.WriteString(line[i : i+j])
			i += j + 1
			if i < len(line) && line[i] == '"' { // "" is a quote
				b.WriteByte('"')
				i++
				continue
			}
			break
		}
		if i < len(line) && line[i] != ' ' && line[i] != '\t' {
			return nil, fmt.Errorf("users: field %d: text after the closing quote", len(fields)+1)
		}
		fields = append(fields, b.String())
		line = line[i:]
	}
}

// quote writes s as a quoted field.
func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// Bytes is the file's text.
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString(fileHeader)
	for _, u := range f.Users() {
		b.WriteString(quote(u.Name) + " " + quote(u.SCRAM.String()))
		if u.MD5 != "" {
			b.WriteString(" " + quote(u.MD5))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Save writes f to path atomically with mode 0600: a temporary file in the
// same directory, synced, then renamed over path.
func (f *File) Save(path string) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("users: save: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600; Chmod states it (and survives umask).
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("users: save: %w", err)
	}
	if _, err := tmp.Write(f.Bytes()); err != nil {
		return fmt.Errorf("users: save: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("users: save: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("users: save: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("users: save: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable where the OS allows
		d.Close()
	}
	return nil
}
