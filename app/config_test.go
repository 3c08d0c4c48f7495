package app

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeYAML(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tally.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadPrecedence: flags over environment over file over defaults,
// setting by setting.
func TestLoadPrecedence(t *testing.T) {
	file := writeYAML(t, "shards: 8\nsettle: 3m\nslow_statement: 2s\nlisten: 127.0.0.1:6000\ntls_required: false\n")
	env := map[string]string{"TALLY_CONFIG": file, "TALLY_SETTLE": "4m", "TALLY_LISTEN": "127.0.0.1:7000", "TALLY_PPROF": "true"}
	cfg, err := Load("serve", []string{"--listen", "127.0.0.1:8000", "--drain-timeout=9s"}, envOf(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		got, want any
		what      string
	}{
		{cfg.Shards, 8, "shards from the file"},
		{cfg.Settle, 4 * time.Minute, "settle: env over file"},
		{cfg.Listen, "127.0.0.1:8000", "listen: flag over env over file"},
		{cfg.SlowStatement, 2 * time.Second, "slow_statement from the file"},
		{cfg.DrainTimeout, 9 * time.Second, "drain_timeout from the flag"},
		{cfg.Pprof, true, "pprof from env"},
		{cfg.AdminListen, "127.0.0.1:9187", "admin_listen default"},
		{cfg.ReadConsistency, "QUORUM", "read_consistency default"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.what, tc.got, tc.want)
		}
	}
	// --config beats TALLY_CONFIG.
	other := writeYAML(t, "shards: 16\n")
	cfg, err = Load("serve", []string{"--config", other}, envOf(env), nil)
	if err != nil || cfg.Shards != 16 {
		t.Fatalf("--config over TALLY_CONFIG: shards %d, %v", cfg.Shards, err)
	}
}

// TestLoadErrorsNameTheSetting: a bad value from any source, an unknown
// YAML key and a failed validation all name the setting.
func TestLoadErrorsNameTheSetting(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		file string
		want string
	}{
		{args: []string{"--shards", "0"}, want: "shards (--shards, TALLY_SHARDS): 0 is not in 1..256"},
		{env: map[string]string{"TALLY_CASSANDRA_TIMEOUT": "soon"}, want: "cassandra_timeout (--cassandra-timeout, TALLY_CASSANDRA_TIMEOUT): environment: \"soon\" is not a duration"},
		{file: "rollup_threshold: many\n", want: "line 1: rollup_threshold (--rollup-threshold, TALLY_ROLLUP_THRESHOLD): \"many\" is not an integer"},
		{file: "shard: 4\n", want: `line 1: unknown setting "shard"`},
		{file: "listen: [a, b]\n", want: "listen (--listen, TALLY_LISTEN) must be a single value"},
		{file: ": :\n", want: "config "},
		{args: []string{"--read-consistency", "MOST"}, want: `read_consistency (--read-consistency, TALLY_READ_CONSISTENCY): "MOST" is not a consistency level`},
		{args: []string{"--admin-listen", "9187"}, want: `admin_listen (--admin-listen, TALLY_ADMIN_LISTEN): "9187" is not host:port`},
		{args: []string{"--drain-timeout", "-1s"}, want: "drain_timeout (--drain-timeout, TALLY_DRAIN_TIMEOUT): -1s is negative"},
		{args: []string{"--log-level", "loud"}, want: "log_level (--log-level, TALLY_LOG_LEVEL)"},
		{args: []string{"--cassandra", " , "}, want: "cassandra (--cassandra, TALLY_CASSANDRA): no contact point given"},
		{env: map[string]string{"TALLY_CASSANDRA_PASSWORD": "pw"}, want: "cassandra_password (--cassandra-password, TALLY_CASSANDRA_PASSWORD): needs cassandra_username"},
		{args: []string{"--settle", "5s"}, want: "settle (--settle, TALLY_SETTLE): 5s must be at least twice the cassandra timeout"},
		{args: []string{"extra"}, want: `unexpected argument "extra"`},
	} {
		env := tc.env
		if env == nil {
			env = map[string]string{}
		}
		if tc.file != "" {
			env["TALLY_CONFIG"] = writeYAML(t, tc.file)
		}
		_, err := Load("serve", tc.args, envOf(env), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v %q: %v, want %q", tc.args, tc.env, tc.file, err, tc.want)
		}
	}
}

// TestPrintRedactsAndRoundTrips: the printed configuration hides the
// password, names every setting, and loads back to the same configuration.
func TestPrintRedactsAndRoundTrips(t *testing.T) {
	env := map[string]string{"TALLY_CASSANDRA_USERNAME": "svc", "TALLY_CASSANDRA_PASSWORD": "hunter2", "TALLY_SHARDS": "12",
		"TALLY_REPLICATION": "{'class': 'NetworkTopologyStrategy', 'dc1': 3}", "TALLY_TLS_REQUIRED": "false"}
	cfg, err := Load("config print", []string{"--slow-statement", "250ms"}, envOf(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cfg.Print(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Contains(text, "hunter2") || !strings.Contains(text, `cassandra_password: "<redacted>"`) {
		t.Fatalf("password not redacted:\n%s", text)
	}
	for _, s := range Settings {
		if !strings.Contains("\n"+text, "\n"+s.Key+": ") {
			t.Errorf("%s missing from the printed configuration", s.Key)
		}
	}
	back, err := Load("serve", []string{"--config", writeYAML(t, text)}, envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	back.CassandraPassword = cfg.CassandraPassword // the one thing printing hides
	if back != cfg {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, cfg)
	}
}

// TestSettingsAreComplete: every setting has a distinct key and a usage,
// and every flag of serve is a setting or --config.
func TestSettingsAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings {
		if seen[s.Key] || s.Usage == "" {
			t.Errorf("setting %q: duplicate or without usage", s.Key)
		}
		seen[s.Key] = true
		def := Defaults()
		_ = s.Value(&def) // panics on a field of an unknown type
	}
	fs, _ := FlagSet("serve")
	n := 0
	fs.VisitAll(func(f *flag.Flag) { n++ })
	if n != len(Settings)+1 {
		t.Fatalf("%d flags for %d settings (+ --config)", n, len(Settings))
	}
}

// TestREADMEDocumentsEverySetting: the README's Configuration table has a
// row for each setting with its flag and environment variable.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range Settings {
		row := fmt.Sprintf("| `%s` | `--%s` | `%s` |", s.Key, s.Flag(), s.Env())
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row of %s: %s", s.Key, row)
		}
	}
}
