package planner

import (
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// params infers the types of $1..$n. A type the client declared wins; an
// undeclared one takes the type its first use expects (`post_id = $1` gives
// $1 post_id's type); one nothing constrains is text, as in Postgres.
type params struct {
	oids []uint32
	refs [][]*rewrite.Param // every use of each parameter, patched at the end
}

func newParams(declared []uint32) *params {
	p := &params{oids: append([]uint32(nil), declared...)}
	p.refs = make([][]*rewrite.Param, len(p.oids))
	return p
}

// ref returns the expression for $n where a value of type want is
// expected (0: no expectation).
func (p *params) ref(n int, want sqltypes.OID) (rewrite.Expr, error) {
	if n < 1 || n > 65535 {
		return nil, pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", n)
	}
	for len(p.oids) < n {
		p.oids = append(p.oids, 0)
		p.refs = append(p.refs, nil)
	}
	i := n - 1
	if p.oids[i] == 0 || p.oids[i] == sqltypes.Unknown {
		p.oids[i] = want
	} else if _, ok := sqltypes.Info(p.oids[i]); !ok {
		return nil, pgerr.Unsupported("parameter $%d has type %d, which tally does not support", n, p.oids[i])
	}
	ref := &rewrite.Param{Index: i, Typ: p.oids[i]}
	p.refs[i] = append(p.refs[i], ref)
	return ref, nil
}

// final resolves what is still unknown to text and returns the OIDs.
func (p *params) final() []uint32 {
	for i, oid := range p.oids {
		if oid == 0 || oid == sqltypes.Unknown {
			p.oids[i] = sqltypes.Text
			for _, r := range p.refs[i] {
				r.Typ = sqltypes.Text
			}
		}
	}
	return p.oids
}
