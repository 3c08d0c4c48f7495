package proxy

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/pgerr"
	"github.com/xdg-go/scram"
)

// SCRAM-SHA-256 (sasl-authentication.html, RFC 5802/7677/5929). The
// server offers SCRAM-SHA-256, and over TLS also SCRAM-SHA-256-PLUS with
// tls-server-end-point channel binding (a hash of tally's certificate), as
// Postgres does. github.com/xdg-go/scram runs the exchange; this file maps
// it onto AuthenticationSASL/SASLContinue/SASLFinal and Postgres' errors.
const (
	scramSHA256     = "SCRAM-SHA-256"
	scramSHA256Plus = "SCRAM-SHA-256-PLUS"
)

// scramAuth is the scram-sha-256 method.
type scramAuth struct{}

// authenticate runs the SASL exchange.
func (scramAuth) authenticate(c *conn) error {
	mechs := []string{scramSHA256}
	binding := c.channelBinding()
	if binding.IsSupported() {
		mechs = []string{scramSHA256Plus, scramSHA256}
	}
	first, err := authRequest[*pgproto3.SASLInitialResponse](c, pgproto3.AuthTypeSASL, &pgproto3.AuthenticationSASL{AuthMechanisms: mechs}, "SASL response")
	if err != nil {
		return err
	}
	if !slices.Contains(mechs, first.AuthMechanism) {
		return pgerr.New(pgerr.ProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	if err := checkGS2Flag(first.AuthMechanism, string(first.Data)); err != nil {
		return err
	}
	u, known := c.lookupUser()
	creds := u.SCRAM.Credentials()
	// The username in client-first-message is ignored: the startup
	// packet's user is the one authenticated (as in Postgres).
	srv, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) { return creds, nil })
	if err != nil {
		return fmt.Errorf("proxy: scram server: %w", err)
	}
	conv := srv.NewConversation()
	if binding.IsSupported() {
		conv = srv.NewConversationWithChannelBinding(binding)
	}
	serverFirst, err := conv.Step(string(first.Data))
	if err != nil {
		return scramError(serverFirst, err)
	}
	final, err := authRequest[*pgproto3.SASLResponse](c, pgproto3.AuthTypeSASLContinue, &pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)}, "SASL response")
	if err != nil {
		return err
	}
	serverFinal, err := conv.Step(string(final.Data))
	switch {
	case err != nil && serverFinal == scram.ErrInvalidProof && !known:
		return c.authFailed(AuthSCRAM, "no such user in the users file")
	case err != nil && serverFinal == scram.ErrInvalidProof:
		return c.authFailed(AuthSCRAM, "wrong password")
	case err != nil:
		return scramError(serverFinal, err)
	case !conv.Valid():
		return c.authFailed(AuthSCRAM, "the SCRAM exchange did not complete")
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASLFinal); err != nil {
		return fmt.Errorf("proxy: auth type: %w", err)
	}
	c.be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte(serverFinal)})
	return nil
}

// checkGS2Flag checks the client-first-message's channel-binding flag
// against the mechanism chosen: -PLUS needs "p=...", plain SCRAM-SHA-256
// must not use "p" (Postgres: read_client_first_message).
func checkGS2Flag(mech, clientFirst string) error {
	plus := mech == scramSHA256Plus
	switch {
	case clientFirst == "":
		return pgerr.New(pgerr.ProtocolViolation, "malformed SCRAM message").WithDetail("The message is empty.")
	case strings.HasPrefix(clientFirst, "p="):
		if !plus {
			return pgerr.New(pgerr.ProtocolViolation, "malformed SCRAM message").
				WithDetail("The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.")
		}
	case plus:
		return pgerr.New(pgerr.ProtocolViolation, "malformed SCRAM message").
			WithDetail("The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data.")
	}
	return nil
}

// scramError maps a failed step other than a wrong proof to Postgres'
// errors: a bad channel binding, or a malformed message.
func scramError(serverErr string, err error) error {
	switch serverErr {
	case scram.ErrChannelBindingsDontMatch:
		return pgerr.Wrap(err, pgerr.InvalidAuthorizationSpec, "SCRAM channel binding check failed")
	case scram.ErrServerDoesSupportChannelBinding:
		return pgerr.Wrap(err, pgerr.ProtocolViolation, "SCRAM channel binding negotiation error").
			WithDetail("The client supports SCRAM channel binding but thinks the server does not.  However, this server does support channel binding.")
	case scram.ErrChannelBindingNotSupported, scram.ErrUnsupportedChannelBindingType:
		return pgerr.Wrap(err, pgerr.ProtocolViolation, "unsupported SCRAM channel-binding type")
	}
	return pgerr.Wrap(err, pgerr.ProtocolViolation, "malformed SCRAM message").WithDetail("%v", err)
}

// channelBinding is the tls-server-end-point binding of the connection:
// none in the clear or when the certificate's hash is unknown.
func (c *conn) channelBinding() scram.ChannelBinding {
	if c.tlsConn == nil || c.endPoint == nil {
		return scram.ChannelBinding{}
	}
	return scram.ChannelBinding{Type: scram.ChannelBindingTLSServerEndpoint, Data: c.endPoint}
}

// serverEndPoint is the tls-server-end-point channel-binding data of
// cfg's certificate (RFC 5929 section 4.1): its hash with the hash of its
// signature algorithm, SHA-256 for MD5 and SHA-1. It is nil when cfg has
// no single static certificate or an algorithm without a defined hash
// (then SCRAM-SHA-256-PLUS is not offered).
func serverEndPoint(cfg *tls.Config) []byte {
	if cfg == nil || len(cfg.Certificates) != 1 || len(cfg.Certificates[0].Certificate) == 0 {
		return nil
	}
	cert := cfg.Certificates[0].Leaf
	if cert == nil {
		var err error
		if cert, err = x509.ParseCertificate(cfg.Certificates[0].Certificate[0]); err != nil {
			return nil
		}
	}
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256:
		sum := sha256.Sum256(cert.Raw)
		return sum[:]
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		sum := sha512.Sum384(cert.Raw)
		return sum[:]
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		sum := sha512.Sum512(cert.Raw)
		return sum[:]
	}
	return nil
}
