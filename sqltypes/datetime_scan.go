package sqltypes

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tally-db/tally/pgerr"
)

// scanner walks one trimmed date/time literal.
type scanner struct {
	s string
	i int
}

// peek returns the next byte, or 0 at the end.
func (sc *scanner) peek() byte {
	if sc.i < len(sc.s) {
		return sc.s[sc.i]
	}
	return 0
}

// skipSpace skips whitespace.
func (sc *scanner) skipSpace() {
	for sc.i < len(sc.s) && isSpace(sc.s[sc.i]) {
		sc.i++
	}
}

// digits reads a run of digits and returns it.
func (sc *scanner) digits() string {
	start := sc.i
	for sc.i < len(sc.s) && isDigit(sc.s[sc.i]) {
		sc.i++
	}
	return sc.s[start:sc.i]
}

// number reads a run of digits as an int; false if there is none or it
// is absurdly long.
func (sc *scanner) number() (int, bool) {
	d := sc.digits()
	if d == "" || len(d) > 9 {
		return 0, false
	}
	n, _ := strconv.Atoi(d)
	return n, true
}

// expect consumes c if it is next.
func (sc *scanner) expect(c byte) bool {
	if sc.peek() == c {
		sc.i++
		return true
	}
	return false
}

// date reads Y-M-D, M-D-Y (when the year comes last), M/D/Y or YYYYMMDD.
func (sc *scanner) date(dt *dateTime) bool {
	first := sc.digits()
	if first == "" || len(first) > 9 {
		return false
	}
	sep := sc.peek()
	if sep != '-' && sep != '/' {
		if len(first) != 8 {
			return false
		}
		dt.year, _ = strconv.Atoi(first[:4])
		dt.month, _ = strconv.Atoi(first[4:6])
		dt.day, _ = strconv.Atoi(first[6:])
		return true
	}
	sc.i++
	second, ok := sc.number()
	if !ok || !sc.expect(sep) {
		return false
	}
	thirdStart := sc.i
	third, ok := sc.number()
	if !ok {
		return false
	}
	a, _ := strconv.Atoi(first)
	if sep == '-' && len(first) >= 3 {
		dt.year, dt.month, dt.day = a, second, third
	} else if sc.i-thirdStart >= 3 {
		dt.year, dt.month, dt.day = third, a, second // MDY
	} else {
		dt.year, dt.month, dt.day = a, 0, 0 // ambiguous short year: out of range
	}
	return true
}

// clock reads H:M[:S[.fraction]].
func (sc *scanner) clock(dt *dateTime) bool {
	var ok bool
	if dt.hour, ok = sc.number(); !ok || !sc.expect(':') {
		return false
	}
	if dt.minute, ok = sc.number(); !ok {
		return false
	}
	if !sc.expect(':') {
		return true
	}
	if dt.sec, ok = sc.number(); !ok {
		return false
	}
	if sc.expect('.') {
		dt.micros = fractionMicros(sc.digits())
	}
	return true
}

// fractionMicros converts the digits after a decimal point to
// microseconds exactly as Postgres does (strtod, then rint: half to even on
// the double). 1000000 means the second carries over, which time.Date
// handles.
func fractionMicros(frac string) int {
	f, err := strconv.ParseFloat("0."+frac+"0", 64)
	if err != nil {
		return 0
	}
	return int(math.RoundToEven(f * 1e6))
}

// suffixes reads what may follow the date and time, in any order: a
// numeric zone offset, a zone name and an era.
func (sc *scanner) suffixes(dt *dateTime, oid OID, s string) error {
	for {
		sc.skipSpace()
		c := sc.peek()
		switch {
		case c == 0:
			return nil
		case (c == '+' || c == '-') && dt.loc == nil:
			sc.i++
			loc, err := sc.offset(c == '-', s)
			if err != nil {
				return err
			}
			if loc == nil {
				return errDateSyntax(oid, s)
			}
			dt.loc = loc
		case isLetter(c):
			if err := sc.word(dt, oid, s); err != nil {
				return err
			}
		default:
			return errDateSyntax(oid, s)
		}
	}
}

// offset reads HH, HHMM, HHMMSS, HH:MM or HH:MM:SS after the sign. It
// returns nil for bad syntax.
func (sc *scanner) offset(neg bool, s string) (*time.Location, error) {
	d := sc.digits()
	var h, m, sec int
	switch len(d) {
	case 1, 2:
		h, _ = strconv.Atoi(d)
		if sc.expect(':') {
			var ok bool
			if m, ok = sc.number(); !ok {
				return nil, nil
			}
			if sc.expect(':') {
				if sec, ok = sc.number(); !ok {
					return nil, nil
				}
			}
		}
	case 4:
		h, _ = strconv.Atoi(d[:2])
		m, _ = strconv.Atoi(d[2:])
	case 6:
		h, _ = strconv.Atoi(d[:2])
		m, _ = strconv.Atoi(d[2:4])
		sec, _ = strconv.Atoi(d[4:])
	default:
		return nil, nil
	}
	if h > 15 || m > 59 || sec > 59 {
		return nil, pgerr.New(pgerr.InvalidTimeZoneDisplacement, "time zone displacement out of range: %q", s)
	}
	off := h*3600 + m*60 + sec
	if neg {
		off = -off
	}
	return time.FixedZone("", off), nil
}

// word reads an era (BC/AD) or a zone name.
func (sc *scanner) word(dt *dateTime, oid OID, s string) error {
	start := sc.i
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		if isSpace(c) || ((c == '+' || c == '-') && !strings.Contains(sc.s[start:sc.i], "/")) {
			break
		}
		sc.i++
	}
	w := sc.s[start:sc.i]
	switch strings.ToLower(w) {
	case "bc":
		dt.bc = true
		return nil
	case "ad":
		return nil
	}
	if dt.loc != nil {
		return errDateSyntax(oid, s)
	}
	switch strings.ToLower(w) {
	case "z", "utc", "gmt", "ut", "uct", "zulu":
		dt.loc = time.UTC
		return nil
	}
	loc, err := time.LoadLocation(w)
	if err != nil || w == "Local" {
		return pgerr.New(pgerr.InvalidParameterValue, "time zone %q not recognized", strings.ToLower(w))
	}
	dt.loc = loc
	return nil
}
