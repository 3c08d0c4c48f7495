package proxy

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/pgerr"
)

// This file is the one place where an error becomes an ErrorResponse.
// A *pgerr.Error is sent with its fields; context errors become 57014 or
// 57P01; anything else is a bug, sent as XX000 "internal error" without its
// text (which may name internal hosts) and logged with it.

// sendError sends err as an ERROR-severity ErrorResponse and flushes, as
// Postgres does (elog.c: "so that the client has some clue what
// happened"); a pipelining client waiting on a Flush that the error made
// us skip would otherwise hang.
func (c *conn) sendError(err error) {
	c.be.Send(c.errorResponse(err, "ERROR"))
	c.flush()
}

// sendFatal sends err as a FATAL ErrorResponse and flushes; the
// connection then closes, as Postgres closes it after FATAL.
func (c *conn) sendFatal(err error) {
	c.be.Send(c.errorResponse(err, "FATAL"))
	c.flush()
	c.fatal = err
}

// errorResponse maps err to the message. severity is the default; a
// *pgerr.Error that sets its own severity keeps it.
func (c *conn) errorResponse(err error, severity string) *pgproto3.ErrorResponse {
	pe := c.toPgError(err)
	if pe.Code == pgerr.QueryCanceled && c.running.timedOut {
		// Cancelled by statement_timeout, however the layer below put it.
		timedOut := *pe
		timedOut.Message = "canceling statement due to statement timeout"
		pe = &timedOut
	}
	if pe.Severity != "" {
		severity = pe.Severity
	}
	switch {
	case pe.Code == pgerr.InternalError:
		c.log.Error("proxy: internal error sent to client as XX000", "severity", severity, "err", err)
	case severity == "FATAL":
		c.log.Info("proxy: fatal error sent to client", "code", string(pe.Code), "err", err)
	default:
		c.log.Debug("proxy: error sent to client", "code", string(pe.Code), "err", err)
	}
	return &pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                string(pe.Code),
		Message:             pe.Message,
		Detail:              pe.Detail,
		Hint:                pe.Hint,
		Position:            pe.Position,
	}
}

// sendNotices sends a result's notices (NoticeResponse), before its rows
// and command tag as Postgres does.
func (c *conn) sendNotices(res *Result) {
	for _, n := range res.Notices {
		r := c.errorResponse(n, "NOTICE")
		c.be.Send((*pgproto3.NoticeResponse)(r))
	}
}

// toPgError finds or makes the *pgerr.Error for err.
func (c *conn) toPgError(err error) *pgerr.Error {
	if pe := pgerr.As(err); pe != nil {
		return pe
	}
	switch {
	case errors.Is(err, context.Canceled) && (c.interrupted.Load() || c.ctx.Err() != nil):
		return pgerr.New(pgerr.AdminShutdown, "terminating connection due to administrator command")
	case errors.Is(err, context.Canceled):
		return pgerr.New(pgerr.QueryCanceled, "canceling statement due to user request")
	case errors.Is(err, context.DeadlineExceeded):
		return pgerr.New(pgerr.QueryCanceled, "canceling statement due to statement timeout")
	}
	return pgerr.New(pgerr.InternalError, "internal error")
}
