// Package app wires tally together: the configuration (config.go: flags,
// environment, YAML file), the Cassandra store, the planner engine, the
// proxy server, metrics, the session registry and the admin HTTP handler
// (server.go: Server, with Drain and Reload). cmd/tally and the test
// harness both start tally through it. It is the one package that imports
// proxy and planner alike.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tally-db/tally/activity"
	"github.com/tally-db/tally/cassandra"
	"github.com/tally-db/tally/planner"
	"github.com/tally-db/tally/proxy"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/users"
)

// compile-time check that the Cassandra store is what rewrite needs.
var _ rewrite.Store = (*cassandra.Store)(nil)

// Config is tally's configuration. Settings (config.go) lists every field
// with its YAML key, flag and environment variable; Load fills it.
type Config struct {
	Listen string // client address, e.g. 127.0.0.1:5432
	// AdminListen is the admin HTTP address (/metrics, /healthz, /readyz);
	// "" or "off": none.
	AdminListen string
	// Pprof serves /debug/pprof/ on the admin listener.
	Pprof bool
	// SlowStatement: statements at least this slow are logged; 0: off.
	SlowStatement time.Duration
	// DrainTimeout bounds the graceful drain on SIGTERM.
	DrainTimeout time.Duration
	// LogLevel is debug, info, warn or error.
	LogLevel string

	Cassandra string // contact points, comma-separated host[:port]
	// CassandraUsername and CassandraPassword log in to Cassandra; the
	// password is a secret: never printed or logged.
	CassandraUsername, CassandraPassword string
	Replication                          string // CQL replication map for keyspaces tally creates
	ReadConsistency                      string
	WriteConsistency                     string
	Shards                               int           // delta partitions per row for new tables
	GCGraceSeconds                       int           // gc_grace_seconds of new CQL tables; 0: Cassandra's default
	CassandraTimeout                     time.Duration // per request
	// Settle: writes older than this are settled; rollups fold them and
	// a write gives up (08007) after half of it.
	Settle            time.Duration
	RollupThreshold   int           // settled deltas in a shard that trigger a rollup; 0: off
	IdempotencyWindow time.Duration // how long idempotency keys are remembered

	// Auth is the client authentication method: trust, password, md5 or
	// scram-sha-256; "" means scram-sha-256 with a UsersFile, else trust.
	Auth string
	// UsersFile is the users file (`tally users add`) the password
	// methods check; "" for none.
	UsersFile string
	// TLSCert and TLSKey are PEM files; with them SSLRequest gets TLS.
	TLSCert, TLSKey string
	// TLSRequired refuses clients that don't use TLS.
	TLSRequired bool

	// Limits (proxy/limits.go): each answered with Postgres' SQLSTATE.
	MaxConnections int // connections served at once (53300 beyond); 0: no limit
	MaxMessageSize int // bytes of one client message (08P01 beyond, unread)
	// StatementTimeout and IdleInTransactionTimeout are the server
	// defaults of statement_timeout (57014) and
	// idle_in_transaction_session_timeout (25P03); 0: none. Sessions
	// change theirs with SET.
	StatementTimeout         time.Duration
	IdleInTransactionTimeout time.Duration
	StartupTimeout           time.Duration // startup and authentication; the client is dropped after it
	MaxScanRows              int           // rows one table scan may visit (54000 beyond)
	// AuthFailureDelay delays the answer to a failed authentication,
	// doubling per consecutive failure from one address up to
	// AuthFailureDelayMax.
	AuthFailureDelay    time.Duration
	AuthFailureDelayMax time.Duration
}

// Defaults returns the default configuration.
func Defaults() Config {
	return Config{
		Listen:            "127.0.0.1:5432",
		AdminListen:       "127.0.0.1:9187",
		SlowStatement:     500 * time.Millisecond,
		DrainTimeout:      30 * time.Second,
		LogLevel:          "info",
		Cassandra:         "127.0.0.1:9042",
		Replication:       "{'class': 'SimpleStrategy', 'replication_factor': 1}",
		ReadConsistency:   "QUORUM",
		WriteConsistency:  "QUORUM",
		Shards:            4,
		CassandraTimeout:  5 * time.Second,
		Settle:            2 * time.Minute,
		RollupThreshold:   64,
		IdempotencyWindow: 24 * time.Hour,

		MaxConnections:      1000,
		MaxScanRows:         rewrite.MaxScanRows,
		MaxMessageSize:      64 << 20,
		StartupTimeout:      time.Minute,
		AuthFailureDelay:    100 * time.Millisecond,
		AuthFailureDelayMax: 5 * time.Second,
	}
}

// Validate checks every setting and the settings that depend on each
// other; its error names the setting (YAML key, flag, environment variable).
func (c Config) Validate() error {
	switch {
	case c.Shards < 1 || c.Shards > 256:
		return settingErr("shards", "%d is not in 1..256", c.Shards)
	case c.Settle < 2*c.CassandraTimeout:
		return settingErr("settle", "%v must be at least twice the cassandra timeout (%v): a write still in flight must not be folded", c.Settle, c.CassandraTimeout)
	case c.RollupThreshold < 0:
		return settingErr("rollup_threshold", "%d is negative", c.RollupThreshold)
	case !slices.Contains(proxy.AuthMethods, proxy.AuthMethod(c.AuthMethod())):
		return settingErr("auth", "unknown method %q (want trust, password, md5 or scram-sha-256)", c.Auth)
	case c.AuthMethod() != string(proxy.AuthTrust) && c.UsersFile == "":
		return settingErr("auth", "%s needs --users-file", c.Auth)
	case c.MaxConnections < 0 || c.MaxMessageSize < 0 || c.MaxScanRows < 0 || c.StatementTimeout < 0 || c.IdleInTransactionTimeout < 0 ||
		c.StartupTimeout < 0 || c.AuthFailureDelay < 0 || c.AuthFailureDelayMax < 0:
		return errors.New("limits: max connections, message size, scan rows, timeouts and delays can't be negative")
	case c.MaxMessageSize > 0 && c.MaxMessageSize < 64<<10:
		return settingErr("max_message_size", "%d is below 64 KiB (authentication messages alone may be that long)", c.MaxMessageSize)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return settingErr("tls_cert", "give both --tls-cert and --tls-key")
	case c.TLSRequired && c.TLSCert == "":
		return settingErr("tls_required", "needs --tls-cert and --tls-key")
	}
	return c.validateOps()
}

// Level is the log level LogLevel names.
func (c Config) Level() (slog.Level, error) {
	var level slog.Level
	err := level.UnmarshalText([]byte(c.LogLevel))
	return level, err
}

// AuthMethod is the authentication method in force: Auth, or its default.
func (c Config) AuthMethod() string {
	switch {
	case c.Auth != "":
		return c.Auth
	case c.UsersFile != "":
		return string(proxy.AuthSCRAM)
	default:
		return string(proxy.AuthTrust)
	}
}

// ProxyConfig builds the proxy's configuration: it loads the users file
// and the TLS certificate.
func ProxyConfig(cfg Config, log *slog.Logger) (proxy.Config, error) {
	pc := proxy.Config{
		ServerVersion: proxy.DefaultServerVersion,
		Auth:          proxy.AuthMethod(cfg.AuthMethod()),
		TLSRequired:   cfg.TLSRequired,

		MaxConnections:      cfg.MaxConnections,
		MaxMessageSize:      cfg.MaxMessageSize,
		StartupTimeout:      cfg.StartupTimeout,
		AuthFailureDelay:    cfg.AuthFailureDelay,
		AuthFailureDelayMax: cfg.AuthFailureDelayMax,
	}
	if cfg.UsersFile != "" {
		src, err := users.Open(cfg.UsersFile, log)
		if err != nil {
			return pc, err
		}
		pc.Users = src
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return pc, fmt.Errorf("tls: %w", err)
		}
		pc.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return pc, nil
}

// OpenStore connects to Cassandra as cfg says.
func OpenStore(cfg Config, log *slog.Logger) (*cassandra.Store, error) {
	return cassandra.Open(cassandra.Config{
		Hosts:            splitHosts(cfg.Cassandra),
		ReadConsistency:  cfg.ReadConsistency,
		WriteConsistency: cfg.WriteConsistency,
		Timeout:          cfg.CassandraTimeout,
		Username:         cfg.CassandraUsername,
		Password:         cfg.CassandraPassword,
	}, log)
}

// splitHosts splits a comma-separated list of contact points.
func splitHosts(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// NewEngine builds the SQL engine over store; Close it when done.
func NewEngine(cfg Config, store rewrite.Store, log *slog.Logger) *planner.Engine {
	return newEngine(cfg, store, log, nil)
}

// newEngine builds the engine; sessions lists the live sessions for
// pg_stat_activity (nil: none).
func newEngine(cfg Config, store rewrite.Store, log *slog.Logger, sessions func() []activity.Backend) *planner.Engine {
	return planner.NewEngine(planner.Config{
		Activity:        sessions,
		ServerVersion:   proxy.DefaultServerVersion,
		RollupThreshold: cfg.RollupThreshold,
		Tables: rewrite.Options{
			Replication: cfg.Replication, Shards: cfg.Shards, GCGraceSeconds: cfg.GCGraceSeconds,
			Settle: cfg.Settle, IdempotencyWindow: cfg.IdempotencyWindow,
			MaxScanRows: cfg.MaxScanRows,
		},
		Settings: map[string]string{
			"statement_timeout":                   millis(cfg.StatementTimeout),
			"idle_in_transaction_session_timeout": millis(cfg.IdleInTransactionTimeout),
		},
	}, store, log)
}

// millis is a duration as a Postgres time setting (milliseconds).
func millis(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10)
}

// Serve runs tally over engine on ln until ctx ends, with trust
// authentication and no TLS.
func Serve(ctx context.Context, engine *planner.Engine, ln net.Listener, log *slog.Logger) error {
	return ServeProxy(ctx, proxy.Config{ServerVersion: proxy.DefaultServerVersion}, engine, ln, log)
}

// ServeProxy runs tally over engine on ln until ctx ends, with the proxy
// configuration pc (see ProxyConfig).
func ServeProxy(ctx context.Context, pc proxy.Config, engine *planner.Engine, ln net.Listener, log *slog.Logger) error {
	srv := proxy.NewServer(pc, Adapt(engine), log)
	err := srv.Serve(ctx, ln)
	if errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
