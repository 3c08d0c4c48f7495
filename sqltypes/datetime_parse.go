package sqltypes

import (
	"strings"
	"time"

	"github.com/tally-db/tally/pgerr"
)

// This file parses the date/time input Postgres accepts that clients
// actually send: ISO 8601 ("2026-12-03 13:36:33.5+05:30", "T" separator,
// "Z"), the compact "20261203", MDY "12/03/2026", an optional era
// ("BC"/"AD"), numeric zone offsets, "UTC"/"GMT"/"Z" and IANA zone names,
// and the special values epoch, now, today, tomorrow and yesterday.
// Known limits: month names ("Dec 3 2026"), two-digit years, zone
// abbreviations that are not IANA names (e.g. "PDT") and the infinite
// timestamps have no Go representation here and are rejected.

// dateTime is the fields read from one date/time literal.
type dateTime struct {
	year, month, day   int
	hour, minute, sec  int
	micros             int // fraction of a second, rounded to microseconds
	hasTime            bool
	bc                 bool
	loc                *time.Location // nil when the literal has no zone
	special            time.Time      // set for epoch/now/today/...
	isSpecial, dateSet bool
}

// Range limits Postgres enforces (datatype/timestamp.h): Julian day 0 is
// 4714-11-24 BC, which is Go year -4713.
var (
	minTimestamp = time.Date(-4713, 11, 24, 0, 0, 0, 0, time.UTC)
	maxTimestamp = time.Date(294277, 1, 1, 0, 0, 0, 0, time.UTC)  // exclusive
	maxDate      = time.Date(5874898, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive
	pgEpoch      = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// parseTimestamp is timestamp_in / timestamptz_in. For timestamp (without
// time zone) a zone in the input is ignored, as Postgres does.
func parseTimestamp(oid OID, s string) (any, error) {
	dt, err := scanDateTime(oid, s)
	if err != nil {
		return nil, err
	}
	var t time.Time
	switch {
	case dt.isSpecial:
		t = dt.special
	default:
		loc := time.UTC
		if oid == Timestamptz && dt.loc != nil {
			loc = dt.loc
		}
		t = time.Date(dt.year, time.Month(dt.month), dt.day, dt.hour, dt.minute, dt.sec, dt.micros*1000, loc).UTC()
	}
	if t.Before(minTimestamp) || !t.Before(maxTimestamp) {
		return nil, pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range: %q", s)
	}
	return t, nil
}

// parseDate is date_in: the date fields of the literal; a time and zone
// are allowed and ignored.
func parseDate(s string) (any, error) {
	dt, err := scanDateTime(Date, s)
	if err != nil {
		return nil, err
	}
	var t time.Time
	if dt.isSpecial {
		y, m, d := dt.special.Date()
		t = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	} else {
		if !dt.dateSet {
			return nil, errDateSyntax(Date, s)
		}
		t = time.Date(dt.year, time.Month(dt.month), dt.day, 0, 0, 0, 0, time.UTC)
	}
	if t.Before(minTimestamp) || !t.Before(maxDate) {
		return nil, pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range: %q", s)
	}
	return t, nil
}

// scanDateTime reads s into fields and validates them.
func scanDateTime(oid OID, s string) (dateTime, error) {
	var dt dateTime
	t := trimSpace(s)
	if ok, err := scanSpecial(&dt, strings.ToLower(t)); ok || err != nil {
		return dt, err
	}
	sc := &scanner{s: t}
	if !sc.date(&dt) {
		return dt, errDateSyntax(oid, s)
	}
	dt.dateSet = true
	sc.skipSpace()
	if sc.peek() == 'T' || sc.peek() == 't' {
		sc.i++
	}
	if isDigit(sc.peek()) {
		if !sc.clock(&dt) {
			return dt, errDateSyntax(oid, s)
		}
		dt.hasTime = true
	}
	if err := sc.suffixes(&dt, oid, s); err != nil {
		return dt, err
	}
	yearZero := dt.year == 0
	if dt.bc {
		dt.year = 1 - dt.year
	}
	if yearZero || !fieldsValid(&dt) {
		return dt, pgerr.New(pgerr.DatetimeFieldOverflow, "date/time field value out of range: %q", s)
	}
	return dt, nil
}

// scanSpecial handles the special input strings; infinity is 0A000
// because time.Time cannot hold it.
func scanSpecial(dt *dateTime, lower string) (bool, error) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	switch lower {
	case "epoch":
		dt.special = time.Unix(0, 0).UTC()
	case "now":
		dt.special = time.Now().UTC().Round(time.Microsecond)
	case "today":
		dt.special = today
	case "tomorrow":
		dt.special = today.AddDate(0, 0, 1)
	case "yesterday":
		dt.special = today.AddDate(0, 0, -1)
	case "infinity", "+infinity", "-infinity":
		return true, pgerr.Unsupported("date/time value %q is not supported", lower)
	default:
		return false, nil
	}
	dt.isSpecial = true
	return true, nil
}

// fieldsValid checks the ranges datetime.c's ValidateDate and DecodeTime
// check. Hour 24 is allowed only as 24:00:00, second 60 as a leap second
// (time.Date rolls both over).
func fieldsValid(dt *dateTime) bool {
	if dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > daysIn(dt.year, dt.month) {
		return false
	}
	if dt.minute > 59 || dt.sec > 60 || dt.hour > 24 {
		return false
	}
	return dt.hour < 24 || (dt.minute == 0 && dt.sec == 0 && dt.micros == 0)
}

// daysIn returns the number of days of month in the proleptic Gregorian
// year (Go numbering: 0 is 1 BC).
func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isLetter reports whether c is an ASCII letter.
func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
