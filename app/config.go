package app

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Every setting of Config has one name in three spellings: the YAML key
// (cassandra_timeout), the flag (--cassandra-timeout) and the environment
// variable (TALLY_CASSANDRA_TIMEOUT). Load applies, in increasing order of
// precedence: Defaults, the YAML file named by --config (or TALLY_CONFIG),
// the environment, the flags; then Validate, whose errors name the setting.

// Setting describes one configuration setting.
type Setting struct {
	Key    string // YAML key
	Usage  string
	Secret bool // never printed or logged
	field  func(*Config) any
}

// Flag is the setting's command-line flag, without dashes.
func (s Setting) Flag() string { return strings.ReplaceAll(s.Key, "_", "-") }

// Env is the setting's environment variable.
func (s Setting) Env() string { return "TALLY_" + strings.ToUpper(s.Key) }

// Settings lists every setting of Config, in the order documentation shows them.
var Settings = []Setting{
	{Key: "listen", Usage: "address Postgres clients connect to", field: func(c *Config) any { return &c.Listen }},
	{Key: "admin_listen", Usage: `address of the admin HTTP listener (/metrics, /healthz, /readyz, pprof); "off" disables it`, field: func(c *Config) any { return &c.AdminListen }},
	{Key: "pprof", Usage: "serve Go's pprof profiles under /debug/pprof/ on the admin listener", field: func(c *Config) any { return &c.Pprof }},
	{Key: "slow_statement", Usage: "log statements that take at least this long (0: off)", field: func(c *Config) any { return &c.SlowStatement }},
	{Key: "drain_timeout", Usage: "on SIGTERM, how long running statements and open transactions may go on before their connections are ended (57P01)", field: func(c *Config) any { return &c.DrainTimeout }},
	{Key: "log_level", Usage: "debug, info, warn or error", field: func(c *Config) any { return &c.LogLevel }},
	{Key: "cassandra", Usage: "Cassandra contact points, comma-separated host[:port]", field: func(c *Config) any { return &c.Cassandra }},
	{Key: "cassandra_username", Usage: "user name for Cassandra's PasswordAuthenticator (empty: no authentication)", field: func(c *Config) any { return &c.CassandraUsername }},
	{Key: "cassandra_password", Usage: "password for Cassandra's PasswordAuthenticator (prefer the environment or the file to the command line)", Secret: true, field: func(c *Config) any { return &c.CassandraPassword }},
	{Key: "cassandra_timeout", Usage: "timeout of one Cassandra request", field: func(c *Config) any { return &c.CassandraTimeout }},
	{Key: "read_consistency", Usage: "consistency level of reads", field: func(c *Config) any { return &c.ReadConsistency }},
	{Key: "write_consistency", Usage: "consistency level of writes", field: func(c *Config) any { return &c.WriteConsistency }},
	{Key: "replication", Usage: "CQL replication map for keyspaces tally creates", field: func(c *Config) any { return &c.Replication }},
	{Key: "shards", Usage: "delta partitions per row for new tables (hot keys)", field: func(c *Config) any { return &c.Shards }},
	{Key: "gc_grace_seconds", Usage: "gc_grace_seconds of new CQL tables (0: Cassandra's default)", field: func(c *Config) any { return &c.GCGraceSeconds }},
	{Key: "settle", Usage: "age at which writes are settled: rollups fold them, and a write gives up (08007) after half of it", field: func(c *Config) any { return &c.Settle }},
	{Key: "rollup_threshold", Usage: "settled deltas in one shard that make a read ask for a rollup (0: no rollups)", field: func(c *Config) any { return &c.RollupThreshold }},
	{Key: "idempotency_window", Usage: "how long idempotency keys are remembered", field: func(c *Config) any { return &c.IdempotencyWindow }},
	{Key: "auth", Usage: "client authentication: trust, password (cleartext), md5 or scram-sha-256 (empty: scram-sha-256 with users_file, else trust)", field: func(c *Config) any { return &c.Auth }},
	{Key: "users_file", Usage: "users file written by `tally users add`; reloaded when it changes and on SIGHUP", field: func(c *Config) any { return &c.UsersFile }},
	{Key: "tls_cert", Usage: "PEM certificate (chain) for TLS; with tls_key, SSLRequest gets TLS 1.2+; reloaded on SIGHUP", field: func(c *Config) any { return &c.TLSCert }},
	{Key: "tls_key", Usage: "PEM private key of tls_cert", field: func(c *Config) any { return &c.TLSKey }},
	{Key: "tls_required", Usage: "refuse clients that don't use TLS (28000)", field: func(c *Config) any { return &c.TLSRequired }},
	{Key: "max_connections", Usage: "client connections served at once; more get 53300 (0: no limit)", field: func(c *Config) any { return &c.MaxConnections }},
	{Key: "max_message_size", Usage: "bytes of one client message; a longer one is refused (08P01) from its header, unread", field: func(c *Config) any { return &c.MaxMessageSize }},
	{Key: "max_scan_rows", Usage: "rows one table scan may visit; more is 54000", field: func(c *Config) any { return &c.MaxScanRows }},
	{Key: "statement_timeout", Usage: "default statement_timeout: a longer statement is cancelled (57014); 0: none", field: func(c *Config) any { return &c.StatementTimeout }},
	{Key: "idle_in_transaction_timeout", Usage: "default idle_in_transaction_session_timeout: a session idle in a transaction block longer is closed (25P03); 0: none", field: func(c *Config) any { return &c.IdleInTransactionTimeout }},
	{Key: "startup_timeout", Usage: "time a client has to start up and authenticate", field: func(c *Config) any { return &c.StartupTimeout }},
	{Key: "auth_failure_delay", Usage: "delay before answering a failed authentication, doubled per consecutive failure from one address (0: none)", field: func(c *Config) any { return &c.AuthFailureDelay }},
	{Key: "auth_failure_delay_max", Usage: "cap of auth_failure_delay", field: func(c *Config) any { return &c.AuthFailureDelayMax }},
}

// setting finds a setting by YAML key.
func setting(key string) (Setting, bool) {
	for _, s := range Settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// Value is the setting's value in c, as text.
func (s Setting) Value(c *Config) string {
	switch p := s.field(c).(type) {
	case *string:
		return *p
	case *int:
		return strconv.Itoa(*p)
	case *bool:
		return strconv.FormatBool(*p)
	case *time.Duration:
		return p.String()
	}
	panic("app: setting " + s.Key + " has an unknown type") // a typo in Settings; every test catches it
}

// typeName is how help shows the setting's value.
func (s Setting) typeName() string {
	var c Config
	switch s.field(&c).(type) {
	case *int:
		return "N"
	case *bool:
		return "[=true|false]"
	case *time.Duration:
		return "DURATION"
	}
	return "TEXT"
}

// set parses text into the setting's field of c.
func (s Setting) set(c *Config, text string) error {
	switch p := s.field(c).(type) {
	case *string:
		*p = text
	case *int:
		n, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil {
			return fmt.Errorf("%q is not an integer", text)
		}
		*p = n
	case *bool:
		b, err := strconv.ParseBool(strings.TrimSpace(text))
		if err != nil {
			return fmt.Errorf("%q is not true or false", text)
		}
		*p = b
	case *time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(text))
		if err != nil {
			return fmt.Errorf("%q is not a duration (e.g. 500ms, 5s, 2m)", text)
		}
		*p = d
	}
	return nil
}

// name is how errors name the setting: all three spellings.
func (s Setting) name() string {
	return fmt.Sprintf("%s (--%s, %s)", s.Key, s.Flag(), s.Env())
}

// flagValue records a flag's text; Load applies it after the file and
// the environment.
type flagValue struct {
	s    Setting
	def  string
	text *string
}

func (v flagValue) String() string {
	if v.text == nil {
		return ""
	}
	return v.def
}

func (v flagValue) Set(text string) error {
	var c Config
	if err := v.s.set(&c, text); err != nil { // report a bad value where the flag package does
		return err
	}
	*v.text = text
	return nil
}

// IsBoolFlag lets --tls-required stand without a value.
func (v flagValue) IsBoolFlag() bool {
	var c Config
	_, ok := v.s.field(&c).(*bool)
	return ok
}

// FlagSet declares every setting as a flag, plus --config, on a new flag
// set; Load parses it. The returned function yields the flags set.
func FlagSet(name string) (*flag.FlagSet, func() (configFile string, given map[string]string)) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	defaults := Defaults()
	given := map[string]*string{}
	configFile := fs.String("config", "", "YAML file of settings (keys as below, e.g. cassandra_timeout: 5s); env TALLY_CONFIG")
	for _, s := range Settings {
		text := new(string)
		given[s.Key] = text
		def := s.Value(&defaults)
		if s.Secret {
			def = ""
		}
		fs.Var(flagValue{s: s, def: def, text: text}, s.Flag(), s.Usage+" (env "+s.Env()+")")
	}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: tally %s [flags]\n\nEach flag can also be set with its TALLY_* environment variable or its key in the\n--config YAML file; flags override the environment, which overrides the file.\n\n", name)
		fmt.Fprintf(w, "  --config FILE\n    \tYAML file of settings (keys as below with _ for -, e.g. cassandra_timeout: 5s) (env TALLY_CONFIG)\n")
		for _, s := range Settings {
			def := s.Value(&defaults)
			if s.Secret || def == "" {
				def = "none"
			}
			fmt.Fprintf(w, "  --%s %s\n    \t%s\n    \t(env %s, YAML %s, default %s)\n", s.Flag(), s.typeName(), s.Usage, s.Env(), s.Key, def)
		}
	}
	return fs, func() (string, map[string]string) {
		out := map[string]string{}
		fs.Visit(func(f *flag.Flag) {
			if p, ok := given[strings.ReplaceAll(f.Name, "-", "_")]; ok {
				out[strings.ReplaceAll(f.Name, "-", "_")] = *p
			}
		})
		return *configFile, out
	}
}

// Load builds the configuration from args (the flags), the environment
// (getenv) and the YAML file that --config or TALLY_CONFIG names, then
// validates it. Flags override the environment, which overrides the
// file, which overrides the defaults.
func Load(name string, args []string, getenv func(string) (string, bool), usage io.Writer) (Config, error) {
	fs, given := FlagSet(name)
	if usage != nil {
		fs.SetOutput(usage)
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	file, flags := given()
	if file == "" {
		file, _ = getenv("TALLY_CONFIG")
	}
	cfg := Defaults()
	if file != "" {
		if err := cfg.applyFile(file); err != nil {
			return cfg, err
		}
	}
	for _, s := range Settings {
		if v, ok := getenv(s.Env()); ok {
			if err := s.set(&cfg, v); err != nil {
				return cfg, fmt.Errorf("%s: environment: %w", s.name(), err)
			}
		}
	}
	for _, s := range Settings {
		if v, ok := flags[s.Key]; ok {
			if err := s.set(&cfg, v); err != nil {
				return cfg, fmt.Errorf("%s: %w", s.name(), err)
			}
		}
	}
	return cfg, cfg.Validate()
}

// applyFile applies the settings of a YAML file: a mapping of setting
// keys to scalars. An unknown key is an error (a typo must not pass
// silently).
func (c *Config) applyFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var doc map[string]yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	for key, node := range doc {
		s, ok := setting(key)
		if !ok {
			return fmt.Errorf("config %s: line %d: unknown setting %q", path, node.Line, key)
		}
		if node.Kind != yaml.ScalarNode {
			return fmt.Errorf("config %s: line %d: %s must be a single value", path, node.Line, s.name())
		}
		if err := s.set(c, node.Value); err != nil {
			return fmt.Errorf("config %s: line %d: %s: %w", path, node.Line, s.name(), err)
		}
	}
	return nil
}

// Print writes the configuration as YAML that Load reads back, one
// setting per line with its meaning, secrets redacted.
func (c Config) Print(w io.Writer) error {
	var b strings.Builder
	for _, s := range Settings {
		v := s.Value(&c)
		if s.Secret && v != "" {
			v = "<redacted>"
		}
		node := yaml.Node{Kind: yaml.ScalarNode, Value: v}
		if _, ok := s.field(&c).(*string); ok {
			node.Style = yaml.DoubleQuotedStyle
		}
		out, err := yaml.Marshal(&node)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "# %s\n%s: %s", s.Usage, s.Key, out)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// consistencies are the levels Cassandra accepts for reads and writes.
var consistencies = []string{"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE"}

// validateOps checks the operations settings.
func (c Config) validateOps() error {
	for _, cl := range []struct{ key, v string }{{"read_consistency", c.ReadConsistency}, {"write_consistency", c.WriteConsistency}} {
		ok := false
		for _, x := range consistencies {
			ok = ok || strings.EqualFold(cl.v, x)
		}
		if !ok {
			return settingErr(cl.key, "%q is not a consistency level (%s)", cl.v, strings.Join(consistencies, ", "))
		}
	}
	if c.AdminListen != "" && c.AdminListen != "off" {
		if _, _, err := net.SplitHostPort(c.AdminListen); err != nil {
			return settingErr("admin_listen", "%q is not host:port", c.AdminListen)
		}
	}
	if len(splitHosts(c.Cassandra)) == 0 {
		return settingErr("cassandra", "no contact point given")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return settingErr("listen", "%q is not host:port", c.Listen)
	}
	switch {
	case c.SlowStatement < 0:
		return settingErr("slow_statement", "%v is negative", c.SlowStatement)
	case c.DrainTimeout < 0:
		return settingErr("drain_timeout", "%v is negative", c.DrainTimeout)
	case c.CassandraTimeout <= 0:
		return settingErr("cassandra_timeout", "%v must be positive", c.CassandraTimeout)
	case c.IdempotencyWindow <= 0:
		return settingErr("idempotency_window", "%v must be positive", c.IdempotencyWindow)
	case c.GCGraceSeconds < 0:
		return settingErr("gc_grace_seconds", "%d is negative", c.GCGraceSeconds)
	case c.CassandraPassword != "" && c.CassandraUsername == "":
		return settingErr("cassandra_password", "needs cassandra_username")
	}
	if _, err := c.Level(); err != nil {
		return settingErr("log_level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// settingErr is an error naming the setting by all its spellings.
func settingErr(key, format string, args ...any) error {
	s, _ := setting(key)
	return fmt.Errorf("%s: %s", s.name(), fmt.Sprintf(format, args...))
}
