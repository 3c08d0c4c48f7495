package sqltypes

import (
	"math"
	"math/big"
	"strconv"
	"time"

	"gopkg.in/inf.v0"
)

// The helpers below accept the Go value sqltypes uses for a type and, where
// the conversion is cheap and lossless, other kinds callers naturally hold
// (int32, int, float32, string for text, ...). ok is false for anything
// else; the caller reports errGoType.

// asInt64 converts any Go integer kind.
func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// asFloat64 converts float kinds and integers.
func asFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	if n, ok := asInt64(v); ok {
		return float64(n), true
	}
	return 0, false
}

// asString converts string and []byte.
func asString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// asBytes converts []byte and string.
func asBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case string:
		return []byte(x), true
	}
	return nil, false
}

// asDec converts *inf.Dec, inf.Dec, integers and finite floats (floats
// through their shortest decimal form, so 0.1 stays 0.1).
func asDec(v any) (*inf.Dec, bool) {
	switch x := v.(type) {
	case *inf.Dec:
		return x, x != nil
	case inf.Dec:
		return &x, true
	case *big.Int:
		if x == nil {
			return nil, false
		}
		return inf.NewDecBig(x, 0), true
	case float64, float32:
		f, _ := asFloat64(x)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, false
		}
		d, ok := new(inf.Dec).SetString(strconv.FormatFloat(f, 'f', -1, 64))
		return d, ok
	}
	if n, ok := asInt64(v); ok {
		return inf.NewDec(n, 0), true
	}
	return nil, false
}

// asTime converts time.Time and *time.Time.
func asTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case *time.Time:
		if x != nil {
			return *x, true
		}
	}
	return time.Time{}, false
}

// asUUID converts [16]byte and a 16-byte []byte.
func asUUID(v any) ([16]byte, bool) {
	switch x := v.(type) {
	case [16]byte:
		return x, true
	case []byte:
		if len(x) == 16 {
			return [16]byte(x), true
		}
	}
	return [16]byte{}, false
}

// asBool converts bool.
func asBool(v any) (bool, bool) {
	b, ok := v.(bool)
	return b, ok
}

// IntInRange reports whether n fits integer type oid.
func IntInRange(oid OID, n int64) bool { return intInRange(oid, n) }

// intInRange reports whether n fits integer type oid.
func intInRange(oid OID, n int64) bool {
	switch oid {
	case Int2:
		return n >= math.MinInt16 && n <= math.MaxInt16
	case Int4:
		return n >= math.MinInt32 && n <= math.MaxInt32
	case OIDType:
		return n >= 0 && n <= math.MaxUint32
	}
	return true
}

// wallClock returns the timestamp-without-time-zone value of t: its wall
// clock fields, in UTC.
func wallClock(t time.Time) time.Time {
	if t.Location() == time.UTC {
		return t
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// normalizeTime rounds t to microseconds and, for timestamptz, converts it
// to UTC; for timestamp and date it keeps the wall clock; date drops the
// time of day.
func normalizeTime(oid OID, t time.Time) time.Time {
	switch oid {
	case Timestamptz:
		t = t.UTC()
	case Date:
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	default:
		t = wallClock(t)
	}
	return t.Round(time.Microsecond)
}
