package rewrite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// idemTable holds, per keyspace, one row per idempotency key: the stamp
// of the statement's first attempt and, once it succeeded, its result. Its
// rows are written only with lightweight transactions and expire with TTL.
const idemTable = "tally_idempotency"

// Idempotent runs Op at most once per Key within Window. The first attempt
// claims the key with a lightweight transaction, recording its stamp. A
// resent statement returns the recorded result if there is one; if the
// first attempt's outcome is unknown it runs again with the first attempt's
// stamp, so every write it makes is the very same write (a delta row with
// the same ts and txid): applied once, whatever landed before.
type Idempotent struct {
	Key         string
	Fingerprint string         // the statement text; parameters are added at run time
	Types       []sqltypes.OID // of the result columns, to store rows as text
	Op          Op
	Window      time.Duration // how long the key is remembered
	Settle      time.Duration // a pending claim older than this can't be resumed
}

func (op *Idempotent) String() string {
	return fmt.Sprintf("Idempotent key=%q %s", op.Key, op.Op)
}

// Execute runs the operation once.
func (op *Idempotent) Execute(ctx context.Context, env *Env, params []any) (*Result, error) {
	if err := ensureIdemTable(ctx, env); err != nil {
		return nil, err
	}
	fp := fmt.Sprintf("%s %v", op.Fingerprint, params)
	st := env.stamp()
	ttl := int(op.Window / time.Second)
	applied, prev, err := env.Store.CAS(ctx, Stmt{
		CQL: fmt.Sprintf("INSERT INTO %s.%s (key, fingerprint, ts, txid) VALUES (?, ?, ?, ?) IF NOT EXISTS USING TTL ?",
			quoteIdent(env.Keyspace), idemTable),
		Args: []any{op.Key, fp, st.ts, st.txid, ttl},
	})
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if !applied {
		if prev["fingerprint"] != fp {
			return nil, pgerr.New(pgerr.InvalidParameterValue,
				"idempotency key %q was already used for a different statement", op.Key).
				WithHint("Use a new key for each distinct statement.")
		}
		env.Stats.idempotencyHit()
		// The driver reads a null tag as "": no result yet (the first
		// attempt is still running, or died). A real tag is never empty.
		if tag, _ := prev["tag"].(string); tag != "" {
			return decodeResult(tag, prev["result"], op.Types)
		}
		ts, _ := prev["ts"].(int64)
		if time.Since(time.UnixMicro(ts)) > op.Settle {
			return nil, pgerr.New(pgerr.TransactionResolutionUnknown,
				"the first attempt with idempotency key %q is too old to be resumed, and its outcome is unknown", op.Key)
		}
		txid, _ := prev["txid"].([16]byte)
		st = stamp{ts: ts, txid: txid}
	}
	run := *env
	run.fixed = &st
	res, err := op.Op.Execute(ctx, &run, params)
	if err != nil {
		return nil, err
	}
	enc, err := encodeResult(res, op.Types)
	if err != nil {
		return nil, err
	}
	_, _, err = env.Store.CAS(ctx, Stmt{
		CQL:  fmt.Sprintf("UPDATE %s.%s USING TTL ? SET tag = ?, result = ? WHERE key = ? IF EXISTS", quoteIdent(env.Keyspace), idemTable),
		Args: []any{ttl, res.Tag, enc, op.Key},
	})
	if err != nil {
		// The statement is applied; only its record is missing, and a retry
		// with the key repeats the same writes.
		env.Log.Warn("idempotency: result not recorded", "key", op.Key, "err", err)
	}
	return res, nil
}

// encodeResult stores rows as JSON arrays of Postgres text values.
func encodeResult(res *Result, types []sqltypes.OID) (string, error) {
	rows := make([][]*string, len(res.Rows))
	for i, r := range res.Rows {
		rows[i] = make([]*string, len(r))
		for j, v := range r {
			if v == nil {
				continue
			}
			b, err := sqltypes.AppendText(nil, types[j], v)
			if err != nil {
				return "", err
			}
			s := string(b)
			rows[i][j] = &s
		}
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

func decodeResult(tag string, enc any, types []sqltypes.OID) (*Result, error) {
	res := &Result{Tag: tag}
	s, _ := enc.(string)
	if s == "" {
		return res, nil
	}
	var rows [][]*string
	if err := json.Unmarshal([]byte(s), &rows); err != nil {
		return nil, fmt.Errorf("idempotency record: %w", err)
	}
	for _, r := range rows {
		out := make([]any, len(r))
		for j, v := range r {
			if v == nil {
				continue
			}
			val, err := sqltypes.DecodeText(types[j], *v)
			if err != nil {
				return nil, err
			}
			out[j] = val
		}
		res.Rows = append(res.Rows, out)
	}
	return res, nil
}

// idemTableCQL creates a keyspace's idempotency table; ensureKeyspace runs
// it with the catalog's, so statements need no schema change.
func idemTableCQL(ks string) string {
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (key text PRIMARY KEY, fingerprint text, ts bigint, txid uuid, tag text, result text)",
		quoteIdent(ks), idemTable)
}

// ensureIdemTable makes sure the keyspace's idempotency table exists,
// checking once per process with a read; only a keyspace made before
// tally had the table gets it created here.
func ensureIdemTable(ctx context.Context, env *Env) error {
	if _, done := env.Catalog.idemReady.Load(env.Keyspace); done {
		return nil
	}
	rows, err := env.Store.Query(ctx, Stmt{
		CQL:  "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
		Args: []any{env.Keyspace, idemTable},
	})
	if err != nil {
		return fmt.Errorf("find idempotency table: %w", err)
	}
	if len(rows) == 0 {
		if err := env.Store.Schema(ctx, idemTableCQL(env.Keyspace)); err != nil {
			return fmt.Errorf("create idempotency table: %w", err)
		}
	}
	env.Catalog.idemReady.Store(env.Keyspace, true)
	return nil
}
