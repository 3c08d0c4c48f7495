package proxy

import (
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/pgerr"
)

// Simple query (protocol-flow.html#PROTOCOL-FLOW-SIMPLE-QUERY): one Query
// message holds zero or more statements, run in order. Each answers with
// RowDescription (text format) and DataRows when it returns rows, then
// CommandComplete; an empty string answers EmptyQueryResponse. The first
// error ends the message (ErrorResponse, later statements not run); the
// cycle always ends with ReadyForQuery. Errors here do not start the
// extended protocol's skip-until-Sync.

// handleQuery runs one Query message.
func (c *conn) handleQuery(sql string) {
	// "a simple Query message also destroys the unnamed statement" and
	// portal (protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY).
	delete(c.stmts, "")
	delete(c.portals, "")
	// A pipeline not ended by Sync commits before the query runs (Postgres
	// would run the query inside its implicit transaction, then commit).
	err := c.endImplicit()
	if err == nil {
		err = c.runSimple(sql)
	}
	if err != nil {
		c.sendError(err)
		// An error the session did not see (DEALLOCATE of an unknown
		// name, a result that can't be encoded) fails the block too.
		c.session.Fail()
	}
	c.readyForQuery()
}

// runSimple prepares and runs every statement of sql, stopping at the
// first error, which it returns.
func (c *conn) runSimple(sql string) error {
	ctx, done := c.running.start(c.ctx) // planning may read the catalog: cancellable too
	stmts, err := c.session.Prepare(ctx, sql, nil)
	done()
	if err != nil {
		return err
	}
	if len(stmts) == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	for _, st := range stmts {
		if n := len(st.ParamOIDs()); n > 0 {
			return pgerr.New(pgerr.UndefinedParameter, "there is no parameter $1")
		}
		ctx, done := c.running.start(c.ctx)
		res, err := st.Execute(ctx, nil)
		done()
		c.sendParameterStatus()
		if err == nil {
			err = c.deallocate(res)
		}
		if err != nil {
			return err
		}
		c.sendNotices(res)
		fields := st.Fields()
		if len(fields) > 0 {
			c.be.Send(rowDescription(fields, nil))
		}
		if err := c.sendRows(fields, nil, res.Rows); err != nil {
			return err
		}
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(res.Tag)})
		if c.ioErr != nil {
			return nil
		}
	}
	return nil
}
