package rewrite

import (
	"context"
	"fmt"
	"strings"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// Insert adds rows. Each row's values are written with the statement's
// timestamp T together with tally_born = T: the row's life starts at T, so
// nothing older (values or deltas of an earlier incarnation) shows.
type Insert struct {
	Table      *catalog.Table
	Rows       [][]Expr // one Expr per table column; nil means its DEFAULT
	Returning  []Expr   // over the inserted row
	OnConflict *OnConflict
	// Source, when set, is INSERT ... SELECT: Rows holds one row whose
	// expressions read each row Source returns (as their row).
	Source Op
}

// OnConflict is what an INSERT does with a row whose key is live: nothing,
// or an update whose expressions read the proposed row (EXCLUDED) as their
// row. Whether a key is live is read before the write, as for a plain
// INSERT: two statements inserting the same new key at once both insert,
// and the later write wins (see README, "Known limits").
type OnConflict struct {
	DoNothing bool
	Sets      []Assign // absolute values, over the proposed row
	Adds      []Assign // counter increments, over the proposed row
}

func (oc *OnConflict) String() string {
	if oc.DoNothing {
		return "on conflict do nothing"
	}
	return fmt.Sprintf("on conflict set %v add %v", oc.Sets, oc.Adds)
}

func (op *Insert) String() string {
	rows := make([]string, len(op.Rows))
	for i, r := range op.Rows {
		rows[i] = exprsString(r)
	}
	s := fmt.Sprintf("Insert %s values %s", op.Table.Name, strings.Join(rows, ", "))
	if op.Source != nil {
		s += " from (" + op.Source.String() + ")"
	}
	if op.OnConflict != nil {
		s += " " + op.OnConflict.String()
	}
	if op.Returning != nil {
		s += " returning " + exprsString(op.Returning)
	}
	return s
}

// Execute inserts the rows.
func (op *Insert) Execute(ctx context.Context, env *Env, params []any) (*Result, error) {
	t, err := lookup(ctx, env, op.Table)
	if err != nil {
		return nil, err
	}
	st := env.stamp()
	ev := env.eval(params, nil, st.ts)
	planned, evals := op.Rows, []*Eval(nil)
	if op.Source != nil {
		// INSERT ... SELECT: the one planned row reads each source row.
		src, err := op.Source.Execute(ctx, env, params)
		if err != nil {
			return nil, err
		}
		if len(src.Rows) > MaxKeys {
			return nil, pgerr.New(pgerr.ProgramLimitExceeded, "an INSERT ... SELECT may insert at most %d rows", MaxKeys)
		}
		planned = make([][]Expr, len(src.Rows))
		for i, r := range src.Rows {
			planned[i] = op.Rows[0]
			evals = append(evals, env.eval(params, r, st.ts))
		}
	}
	rows := make([][]any, len(planned))
	keys := make([][]any, len(planned))
	seen := map[string]bool{}
	for i, exprs := range planned {
		if exprs, err = drawSequences(ctx, env, t, exprs); err != nil {
			return nil, err
		}
		rev := ev
		if evals != nil {
			rev = evals[i]
		}
		if rows[i], err = rowValues(rev, t, exprs); err != nil {
			return nil, err
		}
		keys[i] = keyOf(t, rows[i])
		id := fmt.Sprintf("%#v", keys[i])
		if seen[id] && op.OnConflict == nil {
			return nil, duplicateKey(t, keys[i])
		}
		if seen[id] && !op.OnConflict.DoNothing {
			return nil, pgerr.New(pgerr.CardinalityViolation, "ON CONFLICT DO UPDATE command cannot affect row a second time").
				WithHint("Ensure that no rows proposed for insertion within the same command have duplicate constrained values.")
		}
		seen[id] = true
	}
	live, err := readLive(ctx, env, t, keys)
	if err != nil {
		return nil, err
	}
	if op.OnConflict != nil {
		return op.upsert(ctx, env, t, params, st, rows, keys, live)
	}
	for i, l := range live {
		if l.live(t, st.ts) {
			return nil, duplicateKey(t, keys[i])
		}
	}
	writes := make([]Stmt, len(rows))
	for i, r := range rows {
		writes[i] = insertCQL(env.Keyspace, t, r, st.ts)
	}
	if err := env.write(ctx, writes); err != nil {
		return nil, fmt.Errorf("insert into %s: %w", t.Name, err)
	}
	for i, r := range rows {
		env.record(t, keys[i], rowChange{ts: st.ts, insert: r})
	}
	res := &Result{Tag: fmt.Sprintf("INSERT 0 %d", len(rows))}
	if op.Returning != nil {
		for _, r := range rows {
			out, err := project(env.eval(params, r, st.ts), op.Returning)
			if err != nil {
				return nil, err
			}
			res.Rows = append(res.Rows, out)
		}
	}
	return res, nil
}

// upsert writes each proposed row whose key is not live, and does the
// ON CONFLICT action for the others. DO NOTHING also skips a row whose key
// an earlier row of the same statement inserted.
func (op *Insert) upsert(ctx context.Context, env *Env, t *catalog.Table, params []any, st stamp, rows, keys [][]any, live []liveness) (*Result, error) {
	var writes []Stmt
	type change struct {
		key     []any
		ch      rowChange
		updated bool
		row     []any
	}
	var changes []change
	inserted := map[string]bool{}
	for i, r := range rows {
		id := fmt.Sprintf("%#v", keys[i])
		if !live[i].live(t, st.ts) && !inserted[id] {
			inserted[id] = true
			writes = append(writes, insertCQL(env.Keyspace, t, r, st.ts))
			changes = append(changes, change{key: keys[i], ch: rowChange{ts: st.ts, insert: r}, row: r})
			continue
		}
		if op.OnConflict.DoNothing {
			continue
		}
		upd := &Update{Sets: op.OnConflict.Sets, Adds: op.OnConflict.Adds}
		sets, adds, err := upd.values(env.eval(params, r, st.ts), t)
		if err != nil {
			return nil, err
		}
		writes = append(writes, updateCQL(env.Keyspace, t, keys[i], sets, adds, st)...)
		changes = append(changes, change{key: keys[i], ch: rowChange{ts: st.ts, sets: sets, adds: adds}, updated: true})
	}
	if len(writes) > 0 {
		if err := env.write(ctx, writes); err != nil {
			return nil, fmt.Errorf("insert into %s: %w", t.Name, err)
		}
	}
	for _, c := range changes {
		env.record(t, c.key, c.ch)
	}
	res := &Result{Tag: fmt.Sprintf("INSERT 0 %d", len(changes))}
	if op.Returning == nil {
		return res, nil
	}
	for _, c := range changes {
		r := c.row
		if c.updated {
			after, err := readRows(ctx, env, t, [][]any{c.key}, st.ts)
			if err != nil {
				return nil, err
			}
			if !after[0].live {
				continue
			}
			r = after[0].values
		}
		out, err := project(env.eval(params, r, st.ts), op.Returning)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, out)
	}
	return res, nil
}

// drawSequences fills the nextval defaults of a row (serial and identity
// columns the statement gave no value) with values drawn from their
// sequences.
func drawSequences(ctx context.Context, env *Env, t *catalog.Table, exprs []Expr) ([]Expr, error) {
	out, copied := exprs, false
	for i, c := range t.Columns {
		if exprs[i] != nil || c.Default == nil || c.Default.Func != "nextval" {
			continue
		}
		if env.fixed != nil {
			return nil, pgerr.Unsupported("idempotency keys on an INSERT that draws from sequence %q: a resent statement could not know the value its first attempt drew", c.Default.Seq).
				WithHint("Give the column a value, or send the INSERT without an idempotency key.")
		}
		v, err := env.nextval(ctx, t, c)
		if err != nil {
			return nil, err
		}
		if !copied { // the plan's row is shared by every execution
			out, copied = append([]Expr(nil), exprs...), true
		}
		out[i] = &Const{Value: v, Typ: c.Type}
	}
	return out, nil
}

// rowValues evaluates one VALUES row, filling defaults and checking NOT NULL.
func rowValues(ev *Eval, t *catalog.Table, exprs []Expr) ([]any, error) {
	row := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		var v any
		var err error
		if exprs[i] != nil {
			v, err = exprs[i].Eval(ev)
		} else {
			v, err = defaultValue(ev, c)
		}
		if err != nil {
			return nil, err
		}
		if err := checkNotNull(t, c, v); err != nil {
			return nil, err
		}
		row[i] = v
	}
	return row, nil
}

// defaultValue evaluates a column's DEFAULT (NULL without one).
func defaultValue(ev *Eval, c *catalog.Column) (any, error) {
	switch d := c.Default; {
	case d == nil:
		return nil, nil
	case d.Const != nil:
		return sqltypes.DecodeText(c.Type, *d.Const)
	default:
		f := &Func{Name: d.Func, Typ: catalog.DefaultFuncs[d.Func]}
		v, err := f.Eval(ev)
		if err != nil {
			return nil, err
		}
		return Convert(v, f.Typ, c.Type)
	}
}

func keyOf(t *catalog.Table, row []any) []any {
	key := make([]any, len(t.PrimaryKey))
	for i, k := range t.PrimaryKey {
		key[i] = row[k]
	}
	return key
}

func duplicateKey(t *catalog.Table, key []any) error {
	names := make([]string, len(key))
	vals := make([]string, len(key))
	for i, c := range t.KeyColumns() {
		names[i] = c.Name
		b, _ := sqltypes.AppendText(nil, c.Type, key[i])
		vals[i] = string(b)
	}
	return &pgerr.Error{
		Code:    pgerr.UniqueViolation,
		Message: fmt.Sprintf("duplicate key value violates unique constraint %q", t.Name+"_pkey"),
		Detail:  fmt.Sprintf("Key (%s)=(%s) already exists.", strings.Join(names, ", "), strings.Join(vals, ", ")),
	}
}

// insertCQL writes a row's base: key, tally_born = ts, and its non-NULL
// values (a NULL is simply not written: cells older than tally_born are
// invisible, so no tombstone is needed).
func insertCQL(ks string, t *catalog.Table, row []any, ts int64) Stmt {
	cols := []string{}
	args := []any{}
	for _, k := range t.PrimaryKey {
		c := t.Columns[k]
		cols = append(cols, c.CQLName())
		args = append(args, toCQL(c, row[k]))
	}
	cols = append(cols, "tally_born")
	args = append(args, ts)
	for _, c := range t.ValueColumns() {
		if v := row[c.Num-1]; v != nil {
			cols = append(cols, c.CQLName())
			args = append(args, toCQL(c, v))
		}
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	return Stmt{
		CQL:       fmt.Sprintf("INSERT INTO %s.%s (%s) VALUES (%s) USING TIMESTAMP ?", quoteIdent(ks), t.BaseTable(), strings.Join(cols, ", "), marks),
		Args:      append(args, ts),
		Timestamp: ts,
	}
}
