package proxy_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/proxy"
	"github.com/tally-db/tally/users"
	"github.com/xdg-go/scram"
)

// testUsers is a users file with alice (password "pw", md5 hash stored).
func testUsers(t *testing.T) *users.File {
	t.Helper()
	f := users.NewFile()
	v, err := users.NewVerifier("pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Put(users.User{Name: "alice", SCRAM: v, MD5: users.MD5Hash("alice", "pw")}); err != nil {
		t.Fatal(err)
	}
	return f
}

// startAuthServer starts a proxy with method, alice's credentials and
// optionally tlsCfg.
func startAuthServer(t *testing.T, method proxy.AuthMethod, tlsCfg *tls.Config) *testServer {
	t.Helper()
	return startServerConfig(t, proxy.Config{ShutdownGrace: 2 * time.Second, Auth: method, Users: testUsers(t), TLS: tlsCfg})
}

// startup sends alice's StartupMessage.
func (c *rawClient) startup(user string) {
	c.t.Helper()
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": user}})
}

// receive returns the next message.
func (c *rawClient) receive() pgproto3.BackendMessage {
	c.t.Helper()
	m, err := c.fe.Receive()
	if err != nil {
		c.t.Fatalf("receive: %v", err)
	}
	return m
}

// expectFatal asserts the next message is a FATAL error with code and
// message, and that the connection then closes.
func (c *rawClient) expectFatal(code, message string) {
	c.t.Helper()
	m := c.receive()
	e, ok := m.(*pgproto3.ErrorResponse)
	if !ok || e.Severity != "FATAL" || e.Code != code || e.Message != message {
		c.t.Fatalf("got %s; want FATAL %s %s", summary(m), code, message)
	}
	c.expectClosed()
}

// TestAuthRequests: each method opens with its own request; in the clear
// SCRAM offers only SCRAM-SHA-256.
func TestAuthRequests(t *testing.T) {
	for _, tc := range []struct {
		method proxy.AuthMethod
		want   string
	}{
		{proxy.AuthTrust, "AuthenticationOk"},
		{proxy.AuthPassword, "AuthenticationCleartextPassword"},
		{proxy.AuthMD5, "AuthenticationMD5Password"},
		{proxy.AuthSCRAM, "AuthenticationSASL [SCRAM-SHA-256]"},
	} {
		ts := startAuthServer(t, tc.method, nil)
		c := ts.dialRaw(t)
		c.startup("alice")
		m := c.receive()
		got := summary(m)
		if sasl, ok := m.(*pgproto3.AuthenticationSASL); ok {
			got += " " + "[" + strings.Join(sasl.AuthMechanisms, " ") + "]"
		}
		if got != tc.want {
			t.Errorf("%s: first message %s, want %s", tc.method, got, tc.want)
		}
	}
}

// scramClient runs the client side of SCRAM with xdg-go/scram, which also
// checks the server's signature (proving tally holds the ServerKey).
func scramLogin(t *testing.T, c *rawClient, mech, password string, conv *scram.ClientConversation) (last pgproto3.BackendMessage) {
	t.Helper()
	if _, ok := c.receive().(*pgproto3.AuthenticationSASL); !ok {
		t.Fatal("no AuthenticationSASL")
	}
	first, err := conv.Step("")
	if err != nil {
		t.Fatal(err)
	}
	c.send(&pgproto3.SASLInitialResponse{AuthMechanism: mech, Data: []byte(first)})
	m := c.receive()
	cont, ok := m.(*pgproto3.AuthenticationSASLContinue)
	if !ok {
		return m
	}
	final, err := conv.Step(string(cont.Data))
	if err != nil {
		t.Fatal(err)
	}
	c.send(&pgproto3.SASLResponse{Data: []byte(final)})
	m = c.receive()
	if fin, ok := m.(*pgproto3.AuthenticationSASLFinal); ok {
		if _, err := conv.Step(string(fin.Data)); err != nil || !conv.Valid() {
			t.Fatalf("server signature rejected: %v", err)
		}
		return c.receive()
	}
	return m
}

func newSCRAMClient(t *testing.T, password string) *scram.Client {
	t.Helper()
	cl, err := scram.SHA256.NewClient("", password, "")
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// TestSCRAMExchange: the right password ends in SASLFinal with a valid
// server signature and AuthenticationOk; a wrong one in 28P01.
func TestSCRAMExchange(t *testing.T) {
	ts := startAuthServer(t, proxy.AuthSCRAM, nil)
	c := ts.dialRaw(t)
	c.startup("alice")
	if got := summary(scramLogin(t, c, "SCRAM-SHA-256", "pw", newSCRAMClient(t, "pw").NewConversation())); got != "AuthenticationOk" {
		t.Fatalf("after SCRAM: %s", got)
	}
	c = ts.dialRaw(t)
	c.startup("alice")
	m := scramLogin(t, c, "SCRAM-SHA-256", "nope", newSCRAMClient(t, "nope").NewConversation())
	if got := summary(m); got != `Error FATAL 28P01 password authentication failed for user "alice"` {
		t.Fatalf("wrong password: %s", got)
	}
}

// TestSCRAMMockUser: an unknown user gets a full exchange whose salt is
// stable, like a real user's, and fails only at the proof.
func TestSCRAMMockUser(t *testing.T) {
	ts := startAuthServer(t, proxy.AuthSCRAM, nil)
	var firsts []string
	for range 2 {
		c := ts.dialRaw(t)
		c.startup("mallory")
		c.receive() // AuthenticationSASL
		c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abcdefghijkl")})
		cont, ok := c.receive().(*pgproto3.AuthenticationSASLContinue)
		if !ok {
			t.Fatal("unknown user: no SASLContinue")
		}
		fields := strings.Split(string(cont.Data), ",")
		if len(fields) != 3 || !strings.HasPrefix(fields[0], "r=abcdefghijkl") || fields[2] != "i=4096" {
			t.Fatalf("server-first-message %q", cont.Data)
		}
		firsts = append(firsts, fields[1])
	}
	if firsts[0] != firsts[1] {
		t.Fatalf("mock salt changes between attempts: %v", firsts)
	}
	c := ts.dialRaw(t)
	c.startup("mallory")
	m := scramLogin(t, c, "SCRAM-SHA-256", "pw", newSCRAMClient(t, "pw").NewConversation())
	if got := summary(m); got != `Error FATAL 28P01 password authentication failed for user "mallory"` {
		t.Fatalf("unknown user: %s", got)
	}
}

// TestSASLProtocolErrors: malformed exchanges are 08P01, as in Postgres.
func TestSASLProtocolErrors(t *testing.T) {
	ts := startAuthServer(t, proxy.AuthSCRAM, nil)
	for _, tc := range []struct {
		name string
		msg  pgproto3.FrontendMessage
		want string
	}{
		{"mechanism", &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-1", Data: []byte("n,,n=,r=x")}, "client selected an invalid SASL authentication mechanism"},
		{"plus in the clear", &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256-PLUS", Data: []byte("p=tls-server-end-point,,n=,r=x")}, "client selected an invalid SASL authentication mechanism"},
		{"binding without plus", &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("p=tls-server-end-point,,n=,r=x")}, "malformed SCRAM message"},
		{"garbage", &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("hello")}, "malformed SCRAM message"},
		{"empty", &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256"}, "malformed SCRAM message"},
		{"query", &pgproto3.Query{String: "select 1"}, "expected SASL response, got message type 81"},
	} {
		c := ts.dialRaw(t)
		c.startup("alice")
		c.receive()
		c.send(tc.msg)
		c.t = t
		m := c.receive()
		e, ok := m.(*pgproto3.ErrorResponse)
		if !ok || e.Severity != "FATAL" || e.Code != "08P01" || e.Message != tc.want {
			t.Errorf("%s: got %s; want FATAL 08P01 %s", tc.name, summary(m), tc.want)
		}
	}
	// A bad client-final-message (wrong nonce) is 08P01 too.
	c := ts.dialRaw(t)
	c.startup("alice")
	c.receive()
	c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abc")})
	c.receive()
	c.send(&pgproto3.SASLResponse{Data: []byte("c=biws,r=other,p=AAAA")})
	c.expectFatal("08P01", "malformed SCRAM message")
	// An oversized password packet is refused before it is read.
	c = ts.dialRaw(t)
	c.startup("alice")
	c.receive()
	c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte(strings.Repeat("x", 70000))})
	if m := c.receive(); !strings.HasPrefix(summary(m), "Error FATAL 08P01") {
		t.Fatalf("oversized: %s", summary(m))
	}
}

// TestPasswordAndMD5 exercise the cleartext and md5 exchanges directly.
func TestPasswordAndMD5(t *testing.T) {
	pw := startAuthServer(t, proxy.AuthPassword, nil)
	for _, tc := range []struct{ password, want string }{
		{"pw", "AuthenticationOk"},
		{"", `Error FATAL 28P01 password authentication failed for user "alice"`},
		{"PW", `Error FATAL 28P01 password authentication failed for user "alice"`},
	} {
		c := pw.dialRaw(t)
		c.startup("alice")
		c.receive()
		c.send(&pgproto3.PasswordMessage{Password: tc.password})
		if got := summary(c.receive()); got != tc.want {
			t.Errorf("password %q: %s, want %s", tc.password, got, tc.want)
		}
	}
	md5 := startAuthServer(t, proxy.AuthMD5, nil)
	for _, tc := range []struct{ password, want string }{
		{"pw", "AuthenticationOk"},
		{"nope", `Error FATAL 28P01 password authentication failed for user "alice"`},
	} {
		c := md5.dialRaw(t)
		c.startup("alice")
		req, ok := c.receive().(*pgproto3.AuthenticationMD5Password)
		if !ok {
			t.Fatal("no AuthenticationMD5Password")
		}
		c.send(&pgproto3.PasswordMessage{Password: users.MD5Response(users.MD5Hash("alice", tc.password), req.Salt)})
		if got := summary(c.receive()); got != tc.want {
			t.Errorf("md5 %q: %s, want %s", tc.password, got, tc.want)
		}
	}
}

// TestClientLeavesDuringAuth: a client that hangs up at the password
// request (as psql does before prompting) does not disturb the server.
func TestClientLeavesDuringAuth(t *testing.T) {
	ts := startAuthServer(t, proxy.AuthSCRAM, nil)
	c := ts.dialRaw(t)
	c.startup("alice")
	c.receive()
	c.nc.Close()
	c = ts.dialRaw(t)
	c.startup("alice")
	if got := summary(scramLogin(t, c, "SCRAM-SHA-256", "pw", newSCRAMClient(t, "pw").NewConversation())); got != "AuthenticationOk" {
		t.Fatalf("after a client left: %s", got)
	}
}

// selfSigned is a TLS config with a throwaway ECDSA certificate and the
// pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// dialTLS negotiates SSL on a raw connection.
func (ts *testServer) dialTLS(t *testing.T, pool *x509.CertPool) (*rawClient, *tls.Conn) {
	t.Helper()
	c := ts.dialRaw(t)
	c.send(&pgproto3.SSLRequest{})
	var b [1]byte
	if _, err := io.ReadFull(c.nc, b[:]); err != nil || b[0] != 'S' {
		t.Fatalf("SSLRequest answer %q, %v; want S", b[0], err)
	}
	tc := tls.Client(c.nc, &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	return &rawClient{t: t, nc: tc, fe: pgproto3.NewFrontend(tc, tc)}, tc
}

// TestTLSChannelBinding: over TLS SCRAM-SHA-256-PLUS is offered first and
// binds to tally's certificate; a client that supports binding but claims
// the server doesn't ("y") is a downgrade, refused.
func TestTLSChannelBinding(t *testing.T) {
	cfg, pool := selfSigned(t)
	ts := startAuthServer(t, proxy.AuthSCRAM, cfg)
	c, tc := ts.dialTLS(t, pool)
	c.startup("alice")
	st := tc.ConnectionState()
	binding, err := scram.NewTLSServerEndpointBinding(&st)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(scramLogin(t, c, "SCRAM-SHA-256-PLUS", "pw", newSCRAMClient(t, "pw").NewConversationWithChannelBinding(binding))); got != "AuthenticationOk" {
		t.Fatalf("SCRAM-SHA-256-PLUS: %s", got)
	}
	// Mechanisms offered over TLS.
	c, _ = ts.dialTLS(t, pool)
	c.startup("alice")
	sasl, ok := c.receive().(*pgproto3.AuthenticationSASL)
	if !ok || strings.Join(sasl.AuthMechanisms, " ") != "SCRAM-SHA-256-PLUS SCRAM-SHA-256" {
		t.Fatalf("mechanisms over TLS: %+v", sasl)
	}
	// Wrong binding data: the check fails.
	c, _ = ts.dialTLS(t, pool)
	c.startup("alice")
	bad := scram.ChannelBinding{Type: scram.ChannelBindingTLSServerEndpoint, Data: make([]byte, 32)}
	if got := summary(scramLogin(t, c, "SCRAM-SHA-256-PLUS", "pw", newSCRAMClient(t, "pw").NewConversationWithChannelBinding(bad))); got != "Error FATAL 28000 SCRAM channel binding check failed" {
		t.Fatalf("wrong binding: %s", got)
	}
	// Downgrade: "y" while PLUS was offered.
	c, _ = ts.dialTLS(t, pool)
	c.startup("alice")
	c.receive()
	c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("y,,n=,r=abc")})
	c.expectFatal("08P01", "SCRAM channel binding negotiation error")
}

// TestTLSNegotiation: a second SSLRequest over TLS is a protocol
// violation; --tls-required refuses the clear with 28000.
func TestTLSNegotiation(t *testing.T) {
	cfg, pool := selfSigned(t)
	ts := startServerConfig(t, proxy.Config{ShutdownGrace: 2 * time.Second, TLS: cfg, TLSRequired: true})
	c, _ := ts.dialTLS(t, pool)
	c.send(&pgproto3.SSLRequest{})
	c.expectFatal("08P01", "SSL negotiation requested over an SSL connection")

	c = ts.dialRaw(t)
	c.startup("alice")
	c.expectFatal("28000", "SSL connection is required")

	// GSSENCRequest is still declined, then TLS goes on.
	c = ts.dialRaw(t)
	c.send(&pgproto3.GSSEncRequest{})
	var b [1]byte
	if _, err := io.ReadFull(c.nc, b[:]); err != nil || b[0] != 'N' {
		t.Fatalf("GSSENCRequest answer %q, %v", b[0], err)
	}

	c, tc := ts.dialTLS(t, pool)
	if v := tc.ConnectionState().Version; v != tls.VersionTLS12 {
		t.Fatalf("TLS version %x", v)
	}
	c.startup("alice")
	if got := c.untilReady(); got[0] != "AuthenticationOk" {
		t.Fatalf("over TLS: %q", got)
	}
	// TLS 1.1 is refused.
	c = ts.dialRaw(t)
	c.send(&pgproto3.SSLRequest{})
	_, _ = io.ReadFull(c.nc, b[:])
	old := tls.Client(c.nc, &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	if err := old.Handshake(); err == nil {
		t.Fatal("TLS 1.1 handshake succeeded")
	}
}

// TestAuthConfigValidate: password methods need users; TLSRequired needs
// a certificate; unknown methods are refused.
func TestAuthConfigValidate(t *testing.T) {
	for _, cfg := range []proxy.Config{
		{Auth: proxy.AuthSCRAM},
		{Auth: "kerberos", Users: users.NewFile()},
		{TLSRequired: true},
	} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", cfg)
		}
	}
	if err := (proxy.Config{Auth: proxy.AuthMD5, Users: users.NewFile()}).Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}
