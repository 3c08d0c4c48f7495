package planner

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/tally-db/tally/pgerr"
)

// TestQueryPlans checks which SELECTs go to the query engine, and their
// parameter types, in testdata/query_plans.json; -update rewrites it.
// Keyed SELECTs must keep the keyed plan (the hot path).
func TestQueryPlans(t *testing.T) {
	path := "testdata/query_plans.json"
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
