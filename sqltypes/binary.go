package sqltypes

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/tally-db/tally/pgerr"
)

// DecodeBinary parses b in Postgres' binary format for type oid (its
// typreceive function). A value of the wrong size or shape is 22P03.
func DecodeBinary(oid OID, b []byte) (any, error) {
	if elem, ok := elems[oid]; ok {
		return decodeArrayBinary(oid, elem, b)
	}
	switch oid {
	case Int2:
		if len(b) != 2 {
			return nil, errBinaryLen(oid, 2, len(b))
		}
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	case Int4:
		if len(b) != 4 {
			return nil, errBinaryLen(oid, 4, len(b))
		}
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	case Int8:
		if len(b) != 8 {
			return nil, errBinaryLen(oid, 8, len(b))
		}
		return int64(binary.BigEndian.Uint64(b)), nil
	case OIDType:
		if len(b) != 4 {
			return nil, errBinaryLen(oid, 4, len(b))
		}
		return int64(binary.BigEndian.Uint32(b)), nil
	case Float4:
		if len(b) != 4 {
			return nil, errBinaryLen(oid, 4, len(b))
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	case Float8:
		if len(b) != 8 {
			return nil, errBinaryLen(oid, 8, len(b))
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case Bool:
		if len(b) != 1 {
			return nil, errBinaryLen(oid, 1, len(b))
		}
		return b[0] != 0, nil
	case Text, Varchar, Bpchar, Unknown:
		return checkText(string(b))
	case Name:
		return parseName(string(b))
	case Bytea:
		return append([]byte{}, b...), nil
	case UUID:
		if len(b) != 16 {
			return nil, errBinaryLen(oid, 16, len(b))
		}
		return [16]byte(b), nil
	case Numeric:
		return decodeNumericBinary(b)
	case Date, Timestamp, Timestamptz:
		return decodeTimeBinary(oid, b)
	}
	return decodeCatalogBinary(oid, b)
}

// decodeTimeBinary reads date (int32 days) and timestamp[tz] (int64
// microseconds), both counted from 2000-01-01.
func decodeTimeBinary(oid OID, b []byte) (any, error) {
	var t time.Time
	if oid == Date {
		if len(b) != 4 {
			return nil, errBinaryLen(oid, 4, len(b))
		}
		days := int32(binary.BigEndian.Uint32(b))
		if days == math.MaxInt32 || days == math.MinInt32 {
			return nil, pgerr.Unsupported("date infinity is not supported")
		}
		t = pgEpoch.AddDate(0, 0, int(days))
		if t.Before(minTimestamp) || !t.Before(maxDate) {
			return nil, pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range")
		}
		return t, nil
	}
	if len(b) != 8 {
		return nil, errBinaryLen(oid, 8, len(b))
	}
	us := int64(binary.BigEndian.Uint64(b))
	if us == math.MaxInt64 || us == math.MinInt64 {
		return nil, pgerr.Unsupported("timestamp infinity is not supported")
	}
	t = time.Unix(pgEpoch.Unix()+us/1e6, (us%1e6)*1e3).UTC()
	if t.Before(minTimestamp) || !t.Before(maxTimestamp) {
		return nil, pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range")
	}
	return t, nil
}

// AppendBinary appends the Postgres binary format of v (typsend) to buf.
// v must not be nil.
func AppendBinary(buf []byte, oid OID, v any) ([]byte, error) {
	if elem, ok := elems[oid]; ok {
		return appendArrayBinary(buf, oid, elem, v)
	}
	switch oid {
	case Int2, Int4, Int8, OIDType:
		return appendIntBinary(buf, oid, v)
	case Float4:
		f, ok := asFloat64(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		if math.IsNaN(f) {
			return binary.BigEndian.AppendUint32(buf, 0x7fc00000), nil // Postgres' canonical NaN
		}
		return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(f))), nil
	case Float8:
		f, ok := asFloat64(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		if math.IsNaN(f) {
			return binary.BigEndian.AppendUint64(buf, 0x7ff8000000000000), nil // Postgres' canonical NaN
		}
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(f)), nil
	case Bool:
		b, ok := asBool(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		if b {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case Text, Varchar, Bpchar, Name, Unknown, Bytea:
		b, ok := asBytes(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		return append(buf, b...), nil
	case UUID:
		u, ok := asUUID(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		return append(buf, u[:]...), nil
	case Numeric:
		return appendNumericBinary(buf, v)
	case Date, Timestamp, Timestamptz:
		return appendTimeBinary(buf, oid, v)
	}
	return appendCatalogBinary(buf, oid, v)
}

// appendIntBinary writes an integer of the column's width.
func appendIntBinary(buf []byte, oid OID, v any) ([]byte, error) {
	n, ok := asInt64(v)
	if !ok {
		return buf, errGoType(oid, v)
	}
	if !intInRange(oid, n) {
		return buf, errValueRange(oid)
	}
	switch oid {
	case Int2:
		return binary.BigEndian.AppendUint16(buf, uint16(n)), nil
	case Int8:
		return binary.BigEndian.AppendUint64(buf, uint64(n)), nil
	}
	return binary.BigEndian.AppendUint32(buf, uint32(n)), nil
}

// appendTimeBinary writes date as int32 days and timestamp[tz] as int64
// microseconds since 2000-01-01.
func appendTimeBinary(buf []byte, oid OID, v any) ([]byte, error) {
	t, ok := asTime(v)
	if !ok {
		return buf, errGoType(oid, v)
	}
	t = normalizeTime(oid, t)
	if oid == Date {
		if t.Before(minTimestamp) || !t.Before(maxDate) {
			return buf, pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range")
		}
		days := (t.Unix() - pgEpoch.Unix()) / 86400
		return binary.BigEndian.AppendUint32(buf, uint32(int32(days))), nil
	}
	if t.Before(minTimestamp) || !t.Before(maxTimestamp) {
		return buf, pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range")
	}
	us := (t.Unix()-pgEpoch.Unix())*1e6 + int64(t.Nanosecond()/1e3)
	return binary.BigEndian.AppendUint64(buf, uint64(us)), nil
}
