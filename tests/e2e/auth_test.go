package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/tests/harness"
	"github.com/tally-db/tally/users"
)

// A SCRAM verifier made by Postgres 15.18 (`CREATE ROLE alice PASSWORD
// 'sécret-pw'`, then SELECT rolpassword FROM pg_authid): tally must accept
// verifiers copied from Postgres.
const pgAliceVerifier = "SCRAM-SHA-256$4096:IfooWRhUXtJvBYNh4Y1m8g==$3mQGcl8QSaN8evGnnaCSrkvoCgcP+DyPJuF94hR8bew=:63XGHq2rW1a9sLHO1ZtaFyVYhtQfbJR8LSVhrVURE/s="

// testUser is a user written to the test's users file.
type testUser struct {
	name, password string
	md5            bool
}

// writeUsersFile writes a users file as `tally users add` would, plus
// alice with the verifier copied from Postgres.
func writeUsersFile(t *testing.T, us ...testUser) string {
	t.Helper()
	f := users.NewFile()
	for _, u := range us {
		v, err := users.NewVerifier(u.password)
		if err != nil {
			t.Fatal(err)
		}
		rec := users.User{Name: u.name, SCRAM: v}
		if u.md5 {
			rec.MD5 = users.MD5Hash(u.name, u.password)
		}
		if err := f.Put(rec); err != nil {
			t.Fatal(err)
		}
	}
	pg, err := users.ParseVerifier(pgAliceVerifier)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Put(users.User{Name: "alice", SCRAM: pg}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users")
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// startAuth starts tally with method and a users file.
func startAuth(t *testing.T, method string, extra func(*app.Config)) *harness.Tally {
	t.Helper()
	path := writeUsersFile(t,
		testUser{name: "carol", password: "carol-pw", md5: true},
		testUser{name: "dave", password: "dave-pw"},
	)
	return harness.StartWith(t, func(c *app.Config) {
		c.Auth, c.UsersFile = method, path
		if extra != nil {
			extra(c)
		}
	})
}

// dsn is a connection string for user and password with extra options.
func dsn(tl *harness.Tally, user, password, options string) string {
	host, port, _ := net.SplitHostPort(tl.Addr)
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: net.JoinHostPort(host, port), Path: "/" + tl.Database}
	return u.String() + "?" + options
}

// tryConnect connects with pgx and returns the connection (closed at the
// test's end) or the error.
func tryConnect(t *testing.T, connString string) (*pgx.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err == nil {
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
	}
	return conn, err
}

// mustConnectAndQuery connects and proves the session works.
func mustConnectAndQuery(t *testing.T, connString string) *pgx.Conn {
	t.Helper()
	conn, err := tryConnect(t, connString)
	if err != nil {
		t.Fatalf("connect %s: %v", redact(connString), err)
	}
	var v string
	if err := conn.QueryRow(context.Background(), "SELECT version()").Scan(&v); err != nil || !strings.Contains(v, "tally") {
		t.Fatalf("SELECT version() = %q, %v", v, err)
	}
	return conn
}

// expectAuthFailed asserts a connection fails with Postgres' 28P01 for user.
func expectAuthFailed(t *testing.T, connString, user string) {
	t.Helper()
	_, err := tryConnect(t, connString)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("connect %s: err = %v, want 28P01", redact(connString), err)
	}
	want := fmt.Sprintf("password authentication failed for user %q", user)
	if pe.Code != "28P01" || pe.Severity != "FATAL" || pe.Message != want || pe.Detail != "" || pe.Hint != "" {
		t.Fatalf("connect %s: %s %s %q detail %q hint %q; want FATAL 28P01 %q and no hint",
			redact(connString), pe.Severity, pe.Code, pe.Message, pe.Detail, pe.Hint, want)
	}
}

func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// TestAuthSCRAM: pgx's default exchange, SCRAM-SHA-256, with a verifier
// tally made and one copied from Postgres; a wrong password and an unknown
// user both get the same 28P01.
func TestAuthSCRAM(t *testing.T) {
	tl := startAuth(t, "scram-sha-256", nil)
	mustConnectAndQuery(t, dsn(tl, "carol", "carol-pw", "sslmode=disable"))
	mustConnectAndQuery(t, dsn(tl, "dave", "dave-pw", "sslmode=disable"))
	mustConnectAndQuery(t, dsn(tl, "alice", "sécret-pw", "sslmode=disable"))
	expectAuthFailed(t, dsn(tl, "carol", "dave-pw", "sslmode=disable"), "carol")
	expectAuthFailed(t, dsn(tl, "alice", "secret-pw", "sslmode=disable"), "alice")
	expectAuthFailed(t, dsn(tl, "mallory", "carol-pw", "sslmode=disable"), "mallory")
	// No password at all: pgx can't answer the SASL request.
	if _, err := tryConnect(t, dsn(tl, "carol", "", "sslmode=disable")); err == nil {
		t.Fatal("connected without a password")
	}
}

// TestAuthMD5: md5 works for a user stored with --md5; a user without the
// hash, a wrong password and an unknown user get 28P01.
func TestAuthMD5(t *testing.T) {
	tl := startAuth(t, "md5", nil)
	mustConnectAndQuery(t, dsn(tl, "carol", "carol-pw", "sslmode=disable"))
	expectAuthFailed(t, dsn(tl, "carol", "wrong", "sslmode=disable"), "carol")
	expectAuthFailed(t, dsn(tl, "dave", "dave-pw", "sslmode=disable"), "dave") // no md5 hash stored
	expectAuthFailed(t, dsn(tl, "mallory", "x", "sslmode=disable"), "mallory")
}

// TestAuthCleartext: the "password" method checks the cleartext password
// against the SCRAM verifier, Postgres' included.
func TestAuthCleartext(t *testing.T) {
	tl := startAuth(t, "password", nil)
	mustConnectAndQuery(t, dsn(tl, "dave", "dave-pw", "sslmode=disable"))
	mustConnectAndQuery(t, dsn(tl, "alice", "sécret-pw", "sslmode=disable"))
	expectAuthFailed(t, dsn(tl, "dave", "carol-pw", "sslmode=disable"), "dave")
	expectAuthFailed(t, dsn(tl, "mallory", "dave-pw", "sslmode=disable"), "mallory")
}

// TestAuthDefaults: a users file alone means scram-sha-256, which an md5
// answer can't pass; trust stays the default without one.
func TestAuthDefaults(t *testing.T) {
	tl := startAuth(t, "", nil)
	mustConnectAndQuery(t, dsn(tl, "dave", "dave-pw", "sslmode=disable"))
	expectAuthFailed(t, dsn(tl, "dave", "nope", "sslmode=disable"), "dave")
	open := harness.Start(t)
	mustConnectAndQuery(t, dsn(open, "anyone", "", "sslmode=disable"))
}

// TestAuthUsersFileReloaded: a user added to the file while tally runs can
// log in at once, and a removed one can't.
func TestAuthUsersFileReloaded(t *testing.T) {
	path := writeUsersFile(t, testUser{name: "dave", password: "dave-pw"})
	tl := harness.StartWith(t, func(c *app.Config) { c.UsersFile = path })
	expectAuthFailed(t, dsn(tl, "erin", "erin-pw", "sslmode=disable"), "erin")
	f, err := users.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := users.NewVerifier("erin-pw")
	_ = f.Put(users.User{Name: "erin", SCRAM: v})
	_ = f.Remove("dave")
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	mustConnectAndQuery(t, dsn(tl, "erin", "erin-pw", "sslmode=disable"))
	expectAuthFailed(t, dsn(tl, "dave", "dave-pw", "sslmode=disable"), "dave")
}

// runPsql runs psql -c sql with env added and returns its output and error.
func runPsql(t *testing.T, tl *harness.Tally, host, user, sql string, env ...string) (string, error) {
	t.Helper()
	bin := tool(t, "psql")
	_, port, _ := net.SplitHostPort(tl.Addr)
	cmd := exec.Command(bin, "-X", "-w", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", user, "-d", tl.Database, "-c", sql)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestPsqlSCRAM: psql (libpq) logs in with SCRAM-SHA-256 from PGPASSWORD;
// a wrong one is refused with Postgres' message.
func TestPsqlSCRAM(t *testing.T) {
	tl := startAuth(t, "scram-sha-256", nil)
	out, err := runPsql(t, tl, "127.0.0.1", "dave", "SELECT version()", "PGPASSWORD=dave-pw", "PGSSLMODE=disable")
	if err != nil || !strings.Contains(out, "tally") {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	out, err = runPsql(t, tl, "127.0.0.1", "dave", "SELECT version()", "PGPASSWORD=wrong", "PGSSLMODE=disable")
	if err == nil || !strings.Contains(out, `password authentication failed for user "dave"`) {
		t.Fatalf("psql with a wrong password: %v\n%s", err, out)
	}
}

// testCerts are a throwaway CA, a server certificate it signed for
// 127.0.0.1 and localhost, and a second, unrelated CA.
type testCerts struct {
	ca, cert, key, wrongCA string
}

// makeCerts writes the test certificates as PEM files.
func makeCerts(t *testing.T) testCerts {
	t.Helper()
	dir := t.TempDir()
	caKey, caCert := newCA(t, "tally test CA")
	_, wrongCert := newCA(t, "some other CA")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := testCerts{
		ca: filepath.Join(dir, "ca.pem"), cert: filepath.Join(dir, "server.pem"),
		key: filepath.Join(dir, "server.key"), wrongCA: filepath.Join(dir, "wrong-ca.pem"),
	}
	writePEM(t, c.ca, "CERTIFICATE", caCert.Raw)
	writePEM(t, c.wrongCA, "CERTIFICATE", wrongCert.Raw)
	writePEM(t, c.cert, "CERTIFICATE", der)
	writePEM(t, c.key, "PRIVATE KEY", keyDER)
	return c
}

// newCA makes a self-signed CA.
func newCA(t *testing.T, name string) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startTLS starts tally with SCRAM and the test certificate.
func startTLS(t *testing.T, certs testCerts, required bool) *harness.Tally {
	t.Helper()
	return startAuth(t, "scram-sha-256", func(c *app.Config) {
		c.TLSCert, c.TLSKey, c.TLSRequired = certs.cert, certs.key, required
	})
}

// expectTLS asserts conn runs over TLS 1.2 or later.
func expectTLS(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	tc, ok := conn.PgConn().Conn().(*tls.Conn)
	if !ok {
		t.Fatalf("connection is %T, not *tls.Conn", conn.PgConn().Conn())
	}
	if v := tc.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Fatalf("TLS version %x", v)
	}
}

// TestTLSPgx: sslmode=require and verify-full (localhost, the test CA)
// give TLS connections; SCRAM-SHA-256-PLUS binds to the certificate; a
// wrong CA fails verification.
func TestTLSPgx(t *testing.T) {
	certs := makeCerts(t)
	tl := startTLS(t, certs, false)
	expectTLS(t, mustConnectAndQuery(t, dsn(tl, "dave", "dave-pw", "sslmode=require")))
	full := dsn(tl, "dave", "dave-pw", "sslmode=verify-full&sslrootcert="+url.QueryEscape(certs.ca))
	full = strings.Replace(full, "@127.0.0.1:", "@localhost:", 1)
	expectTLS(t, mustConnectAndQuery(t, full))
	// channel_binding=require: pgx must use SCRAM-SHA-256-PLUS.
	expectTLS(t, mustConnectAndQuery(t, full+"&channel_binding=require"))
	expectTLS(t, mustConnectAndQuery(t, dsn(tl, "alice", "sécret-pw", "sslmode=require&channel_binding=require")))
	wrongPw := strings.Replace(full, "dave-pw", "carol-pw", 1)
	expectAuthFailed(t, wrongPw+"&channel_binding=require", "dave")
	// A CA that didn't sign the certificate: verify-full refuses it.
	wrongCA := strings.Replace(full, url.QueryEscape(certs.ca), url.QueryEscape(certs.wrongCA), 1)
	if _, err := tryConnect(t, wrongCA); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("verify-full with the wrong CA: err = %v, want a certificate error", err)
	}
	// TLS is optional: the clear still works.
	conn := mustConnectAndQuery(t, dsn(tl, "dave", "dave-pw", "sslmode=disable"))
	if _, isTLS := conn.PgConn().Conn().(*tls.Conn); isTLS {
		t.Fatal("sslmode=disable gave a TLS connection")
	}
}

// TestTLSPsql: psql with sslmode=require and verify-full connects over SSL
// (\conninfo says so) with SCRAM-SHA-256-PLUS (channel_binding=require);
// verify-full against the wrong CA fails.
func TestTLSPsql(t *testing.T) {
	certs := makeCerts(t)
	tl := startTLS(t, certs, false)
	for _, c := range []struct{ host, mode string }{
		{"127.0.0.1", "PGSSLMODE=require"},
		{"localhost", "PGSSLMODE=verify-full"},
	} {
		out, err := runPsql(t, tl, c.host, "dave", `\conninfo`, "PGPASSWORD=dave-pw", c.mode, "PGSSLROOTCERT="+certs.ca, "PGCHANNELBINDING=require")
		if err != nil || !strings.Contains(out, "SSL connection (protocol: TLSv1.") {
			t.Fatalf("psql %s: %v\n%s", c.mode, err, out)
		}
	}
	out, err := runPsql(t, tl, "localhost", "dave", `\conninfo`, "PGPASSWORD=dave-pw", "PGSSLMODE=verify-full", "PGSSLROOTCERT="+certs.wrongCA)
	if err == nil || !strings.Contains(out, "certificate verify failed") {
		t.Fatalf("psql verify-full with the wrong CA: %v\n%s", err, out)
	}
}

// TestTLSRequired: with --tls-required a client in the clear gets 28000;
// TLS clients log in as usual.
func TestTLSRequired(t *testing.T) {
	certs := makeCerts(t)
	tl := startTLS(t, certs, true)
	_, err := tryConnect(t, dsn(tl, "dave", "dave-pw", "sslmode=disable"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28000" || pe.Severity != "FATAL" {
		t.Fatalf("sslmode=disable: err = %v, want FATAL 28000", err)
	}
	expectTLS(t, mustConnectAndQuery(t, dsn(tl, "dave", "dave-pw", "sslmode=require")))
	// prefer tries TLS first.
	expectTLS(t, mustConnectAndQuery(t, dsn(tl, "dave", "dave-pw", "sslmode=prefer")))
}

// TestTLSNotConfigured: without a certificate, sslmode=require fails (the
// server answers 'N') and prefer falls back to the clear.
func TestTLSNotConfigured(t *testing.T) {
	tl := startAuth(t, "scram-sha-256", nil)
	if _, err := tryConnect(t, dsn(tl, "dave", "dave-pw", "sslmode=require")); err == nil || !strings.Contains(err.Error(), "refused TLS") {
		t.Fatalf("sslmode=require without a certificate: err = %v", err)
	}
	conn := mustConnectAndQuery(t, dsn(tl, "dave", "dave-pw", "sslmode=prefer"))
	if _, isTLS := conn.PgConn().Conn().(*tls.Conn); isTLS {
		t.Fatal("TLS without a certificate?")
	}
}
