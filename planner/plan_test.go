package planner

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/tally-db/tally/cassandra"
	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json with the plans produced")

// catalogStore answers the catalog reads with fixed tables and fails
// anything else: planning must not touch data.
type catalogStore struct{ tables []*catalog.Table }

func (s catalogStore) Exec(context.Context, cassandra.Stmt) error    { return errNoData }
func (s catalogStore) Batch(context.Context, []cassandra.Stmt) error { return errNoData }
func (s catalogStore) CAS(context.Context, cassandra.Stmt) (bool, map[string]any, error) {
	return false, nil, errNoData
}
func (s catalogStore) Schema(context.Context, string) error { return errNoData }
func (s catalogStore) Query(_ context.Context, st cassandra.Stmt) ([][]any, error) {
	switch {
	case strings.Contains(st.CQL, "system_schema.tables"):
		return [][]any{{"tally_catalog"}}, nil
	case strings.Contains(st.CQL, "tally_catalog"):
		var rows [][]any
		for _, t := range s.tables {
			def, _ := t.Marshal()
			rows = append(rows, []any{t.Name, def, nil})
		}
		return rows, nil
	}
	return nil, errNoData
}

var errNoData = pgerr.New(pgerr.InternalError, "planning touched data")

func testSession(t testing.TB) *Session {
	posts := &catalog.Table{Name: "posts", ID: "abc", Shards: 1, PrimaryKey: []int{0}, Columns: []*catalog.Column{
		{Name: "post_id", Type: sqltypes.Int8, Num: 1, NotNull: true, TypMod: -1},
		{Name: "title", Type: sqltypes.Varchar, Num: 2, TypMod: 14},
		{Name: "likes", Type: sqltypes.Int8, Num: 3, TypMod: -1},
		{Name: "shares", Type: sqltypes.Int4, Num: 4, TypMod: -1},
		{Name: "created_at", Type: sqltypes.Timestamptz, Num: 5, TypMod: -1},
	}}
	e := NewEngine(Config{ServerVersion: "15.8"}, catalogStore{[]*catalog.Table{posts}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return e.NewSession(context.Background(), "db", "u", nil)
}

type planCase struct {
	Comment string   `json:"comment"`
	Query   string   `json:"query"`
	Plan    string   `json:"plan,omitempty"`
	Params  []uint32 `json:"params,omitempty"`
	Error   string   `json:"error,omitempty"` // SQLSTATE
}

// TestPlans checks the plans in testdata/plans.json; -update rewrites them.
func TestPlans(t *testing.T) {
	path := "testdata/plans.json"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []planCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	s := testSession(t)
	for i, c := range cases {
		got := planCase{Comment: c.Comment, Query: c.Query}
		stmts, err := s.Prepare(context.Background(), c.Query, nil)
		if err != nil {
			got.Error = string(pgerr.CodeOf(err))
		} else {
			got.Plan = stmts[0].Plan()
			got.Params = stmts[0].ParamOIDs()
		}
		if *update {
			cases[i] = got
			continue
		}
		if got.Plan != c.Plan || got.Error != c.Error || !equalOIDs(got.Params, c.Params) {
			t.Errorf("%s\n  query: %s\n  got:  %s %s %v\n  want: %s %s %v", c.Comment, c.Query, got.Plan, got.Error, got.Params, c.Plan, c.Error, c.Params)
		}
	}
	if *update {
		out, _ := json.MarshalIndent(cases, "", "  ")
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func equalOIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
