package app

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tally-db/tally/proxy"
	"github.com/tally-db/tally/users"
)

// TestAuthDefaultsAndValidate: trust without a users file, scram-sha-256
// with one; inconsistent auth and TLS settings are refused.
func TestAuthDefaultsAndValidate(t *testing.T) {
	cfg := Defaults()
	if cfg.AuthMethod() != "trust" || cfg.Validate() != nil {
		t.Fatalf("defaults: %q %v", cfg.AuthMethod(), cfg.Validate())
	}
	cfg.UsersFile = "/x"
	if cfg.AuthMethod() != "scram-sha-256" {
		t.Fatalf("with a users file: %q", cfg.AuthMethod())
	}
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Auth = "scram-sha-256" }, "needs --users-file"},
		{func(c *Config) { c.Auth = "md5" }, "needs --users-file"},
		{func(c *Config) { c.Auth = "ldap" }, "unknown method"},
		{func(c *Config) { c.TLSCert = "c.pem" }, "both --tls-cert and --tls-key"},
		{func(c *Config) { c.TLSRequired = true }, "tls-required"},
	} {
		c := Defaults()
		tc.change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", c, err, tc.want)
		}
	}
}

// TestProxyConfig: the users file and the certificate are loaded up front,
// so serve fails before it listens.
func TestProxyConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := Defaults()
	cfg.UsersFile = filepath.Join(dir, "missing")
	if _, err := ProxyConfig(cfg, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing users file: %v", err)
	}
	f := users.NewFile()
	v, _ := users.NewVerifier("pw")
	_ = f.Put(users.User{Name: "u", SCRAM: v})
	cfg.UsersFile = filepath.Join(dir, "users")
	if err := f.Save(cfg.UsersFile); err != nil {
		t.Fatal(err)
	}
	pc, err := ProxyConfig(cfg, nil)
	if err != nil || pc.Auth != proxy.AuthSCRAM || pc.Users == nil || pc.TLS != nil {
		t.Fatalf("ProxyConfig = %+v, %v", pc, err)
	}
	if _, ok := pc.Users.Lookup("u"); !ok {
		t.Fatal("user u not loaded")
	}
	cfg.TLSCert, cfg.TLSKey = filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	_ = os.WriteFile(cfg.TLSCert, []byte("not a certificate"), 0o600)
	_ = os.WriteFile(cfg.TLSKey, []byte("not a key"), 0o600)
	if _, err := ProxyConfig(cfg, nil); err == nil || !strings.HasPrefix(err.Error(), "tls:") {
		t.Fatalf("bad certificate: %v", err)
	}
}
