package rewrite

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
)

// lostClaimStore is a store whose first catalog claim lands in Cassandra
// but answers the client with an unknown outcome (a timed-out LWT).
type lostClaimStore struct {
	recorder
	mu      sync.Mutex
	def     string // the catalog row, once written
	claims  int
	schemas []string
}

func (s *lostClaimStore) CAS(_ context.Context, st Stmt) (bool, map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claims++
	if s.def != "" {
		return false, map[string]any{"name": st.Args[0], "def": s.def}, nil
	}
	s.def = st.Args[1].(string)
	return false, nil, pgerr.New(pgerr.TransactionResolutionUnknown, "cassandra lightweight transaction timed out")
}

func (s *lostClaimStore) Schema(_ context.Context, cql string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.schemas = append(s.schemas, cql)
	return nil
}

// A CREATE TABLE whose catalog claim timed out after landing claims again,
// recognises its own definition and creates the CQL tables (it used to
// answer 08007 and leave a table that every statement then failed on).
func TestCreateTableAfterLostClaim(t *testing.T) {
	s := &lostClaimStore{recorder: recorder{table: postsTable()}}
	env := testEnv(s)
	tbl := &catalog.Table{Name: "items", PrimaryKey: []int{0}, Columns: []*catalog.Column{{Name: "id", Type: 20, Num: 1}}}
	res, err := (&CreateTable{Table: tbl}).Execute(context.Background(), env, nil)
	if err != nil || res.Tag != "CREATE TABLE" || len(res.Notices) != 0 {
		t.Fatalf("CREATE TABLE after a lost claim: %v, %v", res, err)
	}
	if s.claims != 2 {
		t.Fatalf("%d claims; want 2", s.claims)
	}
	made := 0
	for _, cql := range s.schemas {
		if strings.Contains(cql, "CREATE TABLE IF NOT EXISTS \"ks\".t_items_") || strings.Contains(cql, "CREATE TABLE IF NOT EXISTS \"ks\".d_items_") {
			made++
		}
	}
	if made != 2 {
		t.Fatalf("CQL tables created: %d of 2 (%q)", made, s.schemas)
	}
}
