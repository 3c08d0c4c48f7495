// Package pgerr holds the Postgres SQLSTATE codes tally reports and the one
// error type that carries them. It is a leaf: every other package may import
// it, and it imports nothing of tally's. The proxy turns any error into an
// ErrorResponse in one place (proxy/errors.go); errors that are not *Error
// become XX000 there, so anything a client can cause must be built here.
package pgerr

import (
	"errors"
	"fmt"
)

// Code is a five-character SQLSTATE (Postgres docs, Appendix A).
type Code string

// The SQLSTATEs tally sends.
const (
	SuccessfulCompletion          Code = "00000"
	ConnectionException           Code = "08000"
	ProtocolViolation             Code = "08P01"
	TransactionResolutionUnknown  Code = "08007"
	FeatureNotSupported           Code = "0A000"
	CardinalityViolation          Code = "21000"
	DataException                 Code = "22000"
	StringDataRightTruncation     Code = "22001"
	NumericValueOutOfRange        Code = "22003"
	InvalidDatetimeFormat         Code = "22007"
	DatetimeFieldOverflow         Code = "22008"
	DivisionByZero                Code = "22012"
	InvalidParameterValue         Code = "22023"
	InvalidTimeZoneDisplacement   Code = "22009"
	InvalidTextRepresentation     Code = "22P02"
	CharacterNotInRepertoire      Code = "22021"
	InvalidBinaryRepresentation   Code = "22P03"
	NotNullViolation              Code = "23502"
	UniqueViolation               Code = "23505"
	InvalidCursorState            Code = "24000"
	ActiveSQLTransaction          Code = "25001"
	NoActiveSQLTransaction        Code = "25P01"
	InFailedSQLTransaction        Code = "25P02"
	IdleInTransactionTimeout      Code = "25P03"
	InvalidSQLStatementName       Code = "26000"
	InvalidAuthorizationSpec      Code = "28000"
	InvalidPassword               Code = "28P01"
	InvalidCatalogName            Code = "3D000"
	InvalidCursorName             Code = "34000"
	SyntaxError                   Code = "42601"
	InsufficientPrivilege         Code = "42501"
	UndefinedColumn               Code = "42703"
	UndefinedFunction             Code = "42883"
	UndefinedTable                Code = "42P01"
	UndefinedParameter            Code = "42P02"
	UndefinedObject               Code = "42704"
	DuplicateColumn               Code = "42701"
	DuplicatePreparedStatement    Code = "42P05"
	DuplicateCursor               Code = "42P03"
	DuplicateTable                Code = "42P07"
	AmbiguousColumn               Code = "42702"
	DatatypeMismatch              Code = "42804"
	IndeterminateDatatype         Code = "42P18"
	InvalidColumnReference        Code = "42P10"
	InvalidTableDefinition        Code = "42P16"
	GroupingError                 Code = "42803"
	ProgramLimitExceeded          Code = "54000"
	ObjectNotInPrerequisiteState  Code = "55000"
	TooManyConnections            Code = "53300"
	QueryCanceled                 Code = "57014"
	AdminShutdown                 Code = "57P01"
	UndefinedObjectSettingUnknown Code = "42704"
	InternalError                 Code = "XX000"
)

// Error is a Postgres error: what an ErrorResponse carries.
type Error struct {
	Code     Code
	Severity string // "ERROR" unless set
	Message  string
	Detail   string
	Hint     string
	Position int32 // 1-based character offset into the query, 0 if unknown
	Err      error // the cause, if any (not shown to the client)
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s (SQLSTATE %s): %v", e.Message, e.Code, e.Err)
	}
	return fmt.Sprintf("%s (SQLSTATE %s)", e.Message, e.Code)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the given SQLSTATE and message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with the given SQLSTATE whose message is format and
// whose cause is err.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// WithDetail sets the detail and returns e.
func (e *Error) WithDetail(format string, args ...any) *Error {
	e.Detail = fmt.Sprintf(format, args...)
	return e
}

// WithHint sets the hint and returns e.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// CodeOf returns the SQLSTATE of err: its *Error's code, or XX000.
func CodeOf(err error) Code {
	if err == nil {
		return "" // no error has no code: callers compare codes of failures
	}
	if pe := As(err); pe != nil {
		return pe.Code
	}
	return InternalError
}

// Notice is a NOTICE (or, with severity "WARNING", a warning) a statement
// sends before its result, as Postgres' "already exists, skipping".
func Notice(severity string, code Code, format string, args ...any) *Error {
	e := New(code, format, args...)
	e.Severity = severity
	return e
}

// Unsupported is 0A000 naming what is missing.
func Unsupported(format string, args ...any) *Error {
	return New(FeatureNotSupported, format, args...)
}
