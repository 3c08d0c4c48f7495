package proxy

import (
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tally-db/tally/pgerr"
)

// Extended query (protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY): Parse makes
// a prepared statement, Bind a portal from it with parameter values,
// Describe reports their shapes, Execute runs a portal (optionally a few
// rows at a time), Close drops either, Sync ends the cycle with
// ReadyForQuery and Flush only writes out what is buffered. After an
// error, messages are discarded until Sync (conn.sync).

// extended finishes an extended-query message: an error is reported,
// fails the transaction (an explicit block becomes 'E', an implicit one
// rolls back) and starts the skip until Sync.
func (c *conn) extended(err error) {
	if err != nil {
		c.sendError(err)
		c.session.Fail()
		c.sync = ignoreUntilSync
	}
}

// handleParse creates a prepared statement. The unnamed statement is
// replaced silently; a named one must not exist yet.
func (c *conn) handleParse(m *pgproto3.Parse) error {
	if _, exists := c.stmts[m.Name]; exists && m.Name != "" {
		return pgerr.New(pgerr.DuplicatePreparedStatement, "prepared statement %q already exists", m.Name)
	}
	ctx, done := c.running.start(c.ctx) // planning may read the catalog: cancellable too
	stmts, err := c.session.Prepare(ctx, m.Query, append([]uint32(nil), m.ParameterOIDs...))
	done()
	if err != nil {
		return err
	}
	if len(stmts) > 1 {
		return pgerr.New(pgerr.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	ps := &preparedStmt{name: m.Name}
	if len(stmts) == 1 {
		ps.stmt = stmts[0]
		ps.paramOIDs = stmts[0].ParamOIDs()
		ps.fields = stmts[0].Fields()
	}
	c.stmts[m.Name] = ps
	c.be.Send(&pgproto3.ParseComplete{})
	return nil
}

// handleBind creates a portal from a prepared statement, decoding the
// parameters by the statement's types and fixing the result formats.
func (c *conn) handleBind(m *pgproto3.Bind) error {
	ps, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement %q does not exist", m.PreparedStatement)
	}
	if _, exists := c.portals[m.DestinationPortal]; exists && m.DestinationPortal != "" {
		return pgerr.New(pgerr.DuplicateCursor, "cursor %q already exists", m.DestinationPortal)
	}
	// The unnamed portal lasts until the next Bind to it, even a failing one.
	delete(c.portals, m.DestinationPortal)
	params, err := decodeParams(ps, m.ParameterFormatCodes, m.Parameters)
	if err != nil {
		return err
	}
	formats, err := resultFormats(m.ResultFormatCodes, len(ps.fields))
	if err != nil {
		return err
	}
	c.portals[m.DestinationPortal] = &portal{name: m.DestinationPortal, stmt: ps, params: params, formats: formats}
	c.be.Send(&pgproto3.BindComplete{})
	return nil
}

// handleDescribe answers Describe of a statement ('S': ParameterDescription
// then RowDescription in text format or NoData) or of a portal ('P':
// RowDescription with the portal's formats, or NoData).
func (c *conn) handleDescribe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		ps, ok := c.stmts[m.Name]
		if !ok {
			return pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement %q does not exist", m.Name)
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: ps.paramOIDs})
		c.describeRows(ps.fields, nil)
	case 'P':
		p, ok := c.portals[m.Name]
		if !ok {
			return pgerr.New(pgerr.InvalidCursorName, "portal %q does not exist", m.Name)
		}
		c.describeRows(p.stmt.fields, p.formats)
	default:
		return pgerr.New(pgerr.ProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType)
	}
	return nil
}

// describeRows sends RowDescription, or NoData for a statement without rows.
func (c *conn) describeRows(fields []Field, formats []int16) {
	if len(fields) == 0 {
		c.be.Send(&pgproto3.NoData{})
		return
	}
	c.be.Send(rowDescription(fields, formats))
}

// handleExecute runs a portal at once inside a transaction block, and
// otherwise holds it back until the next message (conn.deferred).
func (c *conn) handleExecute(m *pgproto3.Execute) error {
	if c.txStatus() == 'I' {
		ex := *m // Receive reuses m
		c.deferred = &ex
		return nil
	}
	return c.execute(m)
}

// runDeferred runs the Execute held back, now that next has arrived:
// alone before Sync or Query; first of an implicit transaction before
// anything else; not at all before Terminate (Postgres rolls back the
// uncommitted implicit transaction of a client that leaves).
func (c *conn) runDeferred(next pgproto3.FrontendMessage) {
	ex := c.deferred
	c.deferred = nil
	switch next.(type) {
	case *pgproto3.Terminate:
		return
	case *pgproto3.Sync, *pgproto3.Query:
	default:
		c.session.BeginImplicit()
	}
	c.extended(c.execute(ex))
}

// execute runs a portal, or continues a suspended one, sending at most
// m.MaxRows rows (0: all). Rows left over answer PortalSuspended;
// otherwise CommandComplete with the statement's tag.
func (c *conn) execute(m *pgproto3.Execute) error {
	p, ok := c.portals[m.Portal]
	if !ok {
		return pgerr.New(pgerr.InvalidCursorName, "portal %q does not exist", m.Portal)
	}
	if p.stmt.stmt == nil {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if p.state == portalDone {
		return c.executeDone(p)
	}
	if p.state == portalReady {
		ctx, done := c.running.start(c.ctx)
		res, err := p.stmt.stmt.Execute(ctx, p.params)
		done()
		c.sendParameterStatus()
		if err == nil {
			err = c.deallocate(res)
		}
		if err == nil {
			c.sendNotices(res)
		}
		if err != nil {
			p.state = portalDone
			return err
		}
		p.result, p.state = res, portalRunning
	}
	rows := p.result.Rows[p.sent:]
	if m.MaxRows > 0 && uint64(len(rows)) > uint64(m.MaxRows) {
		rows = rows[:m.MaxRows]
	}
	if err := c.sendRows(p.stmt.fields, p.formats, rows); err != nil {
		p.state = portalDone
		return err
	}
	p.sent += len(rows)
	if p.sent < len(p.result.Rows) {
		c.be.Send(&pgproto3.PortalSuspended{})
		return nil
	}
	tag := p.result.Tag
	if p.sent > len(rows) && strings.HasPrefix(tag, "SELECT ") {
		// A SELECT fetched in parts: Postgres counts the last part only.
		tag = "SELECT " + strconv.Itoa(len(rows))
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	p.state, p.result, p.tag = portalDone, nil, p.result.Tag
	return nil
}

// deallocate drops the prepared statements a SQL DEALLOCATE or DISCARD
// ALL named (SQL and protocol prepared statements share one namespace).
// DISCARD ALL also drops the portals other than the one running.
func (c *conn) deallocate(res *Result) error {
	switch {
	case res.DeallocateAll:
		for name := range c.stmts {
			delete(c.stmts, name)
		}
	case res.Deallocate != "":
		if _, ok := c.stmts[res.Deallocate]; !ok {
			return pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement %q does not exist", res.Deallocate)
		}
		delete(c.stmts, res.Deallocate)
	}
	return nil
}

// executeDone answers Execute of a portal that has completed, as Postgres
// does: no more rows ("SELECT 0") for a statement that returns rows, 55000
// for one that doesn't (it must not run twice).
func (c *conn) executeDone(p *portal) error {
	if len(p.stmt.fields) == 0 {
		return pgerr.New(pgerr.ObjectNotInPrerequisiteState, "portal %q cannot be run", p.name)
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(p.doneTag())})
	return nil
}

// handleClose drops a statement ('S') or portal ('P'); closing a name
// that does not exist is not an error.
func (c *conn) handleClose(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		delete(c.portals, m.Name)
	default:
		return pgerr.New(pgerr.ProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType)
	}
	c.be.Send(&pgproto3.CloseComplete{})
	return nil
}

// handleSync ends an extended-query cycle: the implicit transaction, if
// one is open, commits (a failure is reported before ReadyForQuery, as
// Postgres reports a failed commit).
func (c *conn) handleSync() {
	c.sync = processing
	if err := c.endImplicit(); err != nil {
		c.sendError(err)
	}
	c.readyForQuery()
}

// endImplicit commits the implicit transaction of a pipeline, if open,
// under a context a CancelRequest can cancel.
func (c *conn) endImplicit() error {
	if c.txStatus() != 'T' {
		return nil // no block open, or a failed explicit one
	}
	ctx, done := c.running.start(c.ctx)
	defer done()
	return c.session.EndImplicit(ctx)
}
