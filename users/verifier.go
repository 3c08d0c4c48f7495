// Package users holds tally's password credentials: the SCRAM-SHA-256
// verifier and the optional md5 hash of each user, and the users file that
// stores them. It is a leaf: it knows no protocol and no other tally
// package. It never stores or logs a password; the SCRAM verifier is what
// Postgres stores in pg_authid.rolpassword and can't be used to log in.
// The md5 hash can: it is password-equivalent (anyone who has it can pass
// md5 authentication), which is why it is stored only when asked for.
package users

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/xdg-go/scram"
	"github.com/xdg-go/stringprep"
)

// SCRAM parameters, as Postgres 15 uses them (scram-common.h).
const (
	// Iterations is the PBKDF2 iteration count of new verifiers.
	Iterations = 4096
	// SaltLen is the salt length in bytes of new verifiers.
	SaltLen = 16
	// scramPrefix starts a verifier's text form.
	scramPrefix = "SCRAM-SHA-256$"
	// keyLen is the length of StoredKey and ServerKey (SHA-256).
	keyLen = sha256.Size
)

// ErrBadVerifier is returned for a verifier or md5 hash that can't be
// parsed.
var ErrBadVerifier = errors.New("users: malformed verifier")

// Verifier is a SCRAM-SHA-256 verifier (RFC 5802 section 3, RFC 7677):
// what a server keeps to check a password without knowing it.
type Verifier struct {
	Iterations int
	Salt       []byte
	StoredKey  []byte // H(ClientKey)
	ServerKey  []byte // HMAC(SaltedPassword, "Server Key")
}

// NewVerifier derives a verifier for password with a fresh random salt.
func NewVerifier(password string) (Verifier, error) {
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return Verifier{}, fmt.Errorf("users: salt: %w", err)
	}
	return DeriveVerifier(password, salt, Iterations)
}

// DeriveVerifier derives the verifier for password, salt and iterations.
// Like Postgres (pg_be_scram_build_secret), it SASLpreps the password and
// uses it unchanged when SASLprep rejects it.
func DeriveVerifier(password string, salt []byte, iterations int) (Verifier, error) {
	if iterations < 1 {
		return Verifier{}, fmt.Errorf("%w: %d iterations", ErrBadVerifier, iterations)
	}
	if prepped, err := stringprep.SASLprep.Prepare(password); err == nil {
		password = prepped
	}
	client, err := scram.SHA256.NewClientUnprepped("", password, "")
	if err != nil {
		return Verifier{}, fmt.Errorf("users: scram: %w", err)
	}
	creds, err := client.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: iterations})
	if err != nil {
		return Verifier{}, fmt.Errorf("users: derive keys: %w", err)
	}
	return Verifier{
		Iterations: iterations,
		Salt:       append([]byte(nil), salt...),
		StoredKey:  creds.StoredKey,
		ServerKey:  creds.ServerKey,
	}, nil
}

// Check reports whether password matches v (cleartext authentication),
// comparing StoredKeys in constant time.
func (v Verifier) Check(password string) bool {
	got, err := DeriveVerifier(password, v.Salt, v.Iterations)
	return err == nil && hmac.Equal(got.StoredKey, v.StoredKey)
}

// Credentials returns v in the form the SCRAM server needs.
func (v Verifier) Credentials() scram.StoredCredentials {
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(v.Salt), Iters: v.Iterations},
		StoredKey:  v.StoredKey,
		ServerKey:  v.ServerKey,
	}
}

// String is the text form Postgres stores in pg_authid.rolpassword:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64.
func (v Verifier) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s%d:%s$%s:%s", scramPrefix, v.Iterations, b64(v.Salt), b64(v.StoredKey), b64(v.ServerKey))
}

// ParseVerifier parses the text form of a verifier, e.g. one copied from
// Postgres' pg_authid.rolpassword.
func ParseVerifier(s string) (Verifier, error) {
	rest, ok := strings.CutPrefix(s, scramPrefix)
	if !ok {
		return Verifier{}, fmt.Errorf("%w: want %q prefix", ErrBadVerifier, scramPrefix)
	}
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return Verifier{}, fmt.Errorf("%w: no '$' before the keys", ErrBadVerifier)
	}
	iterText, saltText, ok1 := strings.Cut(params, ":")
	storedText, serverText, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return Verifier{}, fmt.Errorf("%w: want iterations:salt$StoredKey:ServerKey", ErrBadVerifier)
	}
	iters, err := strconv.Atoi(iterText)
	if err != nil || iters < 1 {
		return Verifier{}, fmt.Errorf("%w: iterations %q", ErrBadVerifier, iterText)
	}
	var v Verifier
	v.Iterations = iters
	dec := base64.StdEncoding.DecodeString
	if v.Salt, err = dec(saltText); err != nil || len(v.Salt) == 0 {
		return Verifier{}, fmt.Errorf("%w: salt is not base64", ErrBadVerifier)
	}
	if v.StoredKey, err = dec(storedText); err != nil || len(v.StoredKey) != keyLen {
		return Verifier{}, fmt.Errorf("%w: StoredKey is not %d bytes of base64", ErrBadVerifier, keyLen)
	}
	if v.ServerKey, err = dec(serverText); err != nil || len(v.ServerKey) != keyLen {
		return Verifier{}, fmt.Errorf("%w: ServerKey is not %d bytes of base64", ErrBadVerifier, keyLen)
	}
	return v, nil
}

// MD5Hash is Postgres' md5 password hash: "md5" + hex(md5(password +
// user)). It is password-equivalent for md5 authentication.
func MD5Hash(user, password string) string {
	sum := md5.Sum([]byte(password + user))
	return "md5" + hex.EncodeToString(sum[:])
}

// validMD5Hash reports whether s looks like MD5Hash's output.
func validMD5Hash(s string) bool {
	h, ok := strings.CutPrefix(s, "md5")
	if !ok || len(h) != 2*md5.Size {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

// MD5Response is what a client sends for md5 authentication given the
// stored hash and the server's 4-byte salt: "md5" + hex(md5(hex part of
// the hash + salt)).
func MD5Response(hash string, salt [4]byte) string {
	sum := md5.Sum(append([]byte(strings.TrimPrefix(hash, "md5")), salt[:]...))
	return "md5" + hex.EncodeToString(sum[:])
}
