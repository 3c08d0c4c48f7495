package sqltypes

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tally-db/tally/pgerr"
	"gopkg.in/inf.v0"
)

// DecodeText parses s with the input syntax Postgres accepts for type oid
// (its typinput function) and returns the value in sqltypes' Go
// representation. Bad input is a *pgerr.Error with Postgres' SQLSTATE and
// message: 22P02 for syntax, 22003 for numbers out of range, 22007/22008
// for dates and times, 22021 for text that is not UTF-8.
func DecodeText(oid OID, s string) (any, error) {
	if elem, ok := elems[oid]; ok {
		return decodeArrayText(oid, elem, s)
	}
	switch oid {
	case Int2:
		return parseInt(oid, s, math.MinInt16, math.MaxInt16)
	case Int4:
		return parseInt(oid, s, math.MinInt32, math.MaxInt32)
	case Int8:
		return parseInt(oid, s, math.MinInt64, math.MaxInt64)
	case OIDType:
		return parseOID(s)
	case Float4, Float8:
		return parseFloat(oid, s)
	case Bool:
		return parseBool(s)
	case Text, Varchar, Bpchar, Unknown:
		return checkText(s)
	case Name:
		return parseName(s)
	case Numeric:
		return parseNumeric(s)
	case UUID:
		return parseUUID(s)
	case Bytea:
		return parseBytea(s)
	case Date:
		return parseDate(s)
	case Timestamp:
		return parseTimestamp(oid, s)
	case Timestamptz:
		return parseTimestamp(oid, s)
	}
	return decodeCatalogText(oid, s)
}

// isSpace is Postgres' scanner_isspace: the whitespace its input functions
// skip around numbers and booleans.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// trimSpace drops isSpace bytes at both ends.
func trimSpace(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r < utf8.RuneSelf && isSpace(byte(r)) })
}

// parseInt is int2in/int4in/int8in (Postgres 15): optional whitespace,
// optional sign, decimal digits only.
func parseInt(oid OID, s string, lo, hi int64) (any, error) {
	t := trimSpace(s)
	digits := t
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		digits = digits[1:]
	}
	if digits == "" {
		return nil, errSyntax(oid, s)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, errSyntax(oid, s)
		}
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(t, "+"), 10, 64)
	if err != nil || n < lo || n > hi {
		return nil, errRange(oid, s)
	}
	return n, nil
}

// parseOID is oidin: an unsigned 32-bit number, where negative numbers down
// to -2^31 wrap around as they do in Postgres.
func parseOID(s string) (any, error) {
	v, err := parseInt(OIDType, s, math.MinInt64, math.MaxInt64)
	if err != nil {
		if pgerr.CodeOf(err) == pgerr.NumericValueOutOfRange {
			return nil, errRange(OIDType, s)
		}
		return nil, err
	}
	n := v.(int64)
	if n < math.MinInt32 || n > math.MaxUint32 {
		return nil, errRange(OIDType, s)
	}
	return int64(uint32(n)), nil
}

// parseFloat is float4in/float8in: whitespace, NaN, [+-]Infinity, [+-]inf,
// and strtod syntax; overflow and underflow to zero are 22003.
func parseFloat(oid OID, s string) (any, error) {
	t := trimSpace(s)
	switch strings.ToLower(t) {
	case "nan", "+nan", "-nan":
		return math.NaN(), nil
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	}
	if t == "" || strings.ContainsRune(t, '_') || strings.ContainsAny(t[:1], "iInN") {
		return nil, errSyntax(oid, s)
	}
	bits := 64
	if oid == Float4 {
		bits = 32
	}
	f, err := strconv.ParseFloat(t, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, errFloatRange(oid, s)
		}
		return nil, errSyntax(oid, s)
	}
	if f == 0 && hasNonZeroMantissa(t) {
		return nil, errFloatRange(oid, s) // underflow: strtod's ERANGE
	}
	return f, nil
}

// hasNonZeroMantissa reports whether the mantissa of a float literal has a
// non-zero digit, i.e. whether a zero result is an underflow.
func hasNonZeroMantissa(t string) bool {
	lower := strings.ToLower(t)
	if strings.HasPrefix(strings.TrimLeft(lower, "+-"), "0x") {
		if i := strings.IndexByte(lower, 'p'); i >= 0 {
			lower = lower[:i]
		}
		return strings.ContainsAny(strings.TrimLeft(lower, "+-")[2:], "123456789abcdef")
	}
	if i := strings.IndexByte(lower, 'e'); i >= 0 {
		lower = lower[:i]
	}
	return strings.ContainsAny(lower, "123456789")
}

// parseBool is boolin: case-insensitive prefixes of true/false/yes/no,
// on/off (at least two letters), and exactly "1" or "0".
func parseBool(s string) (any, error) {
	t := strings.ToLower(trimSpace(s))
	if t != "" {
		switch {
		case strings.HasPrefix("true", t), strings.HasPrefix("yes", t):
			return true, nil
		case strings.HasPrefix("false", t), strings.HasPrefix("no", t):
			return false, nil
		case len(t) >= 2 && strings.HasPrefix("on", t):
			return true, nil
		case len(t) >= 2 && strings.HasPrefix("off", t):
			return false, nil
		case t == "1":
			return true, nil
		case t == "0":
			return false, nil
		}
	}
	return nil, errSyntax(Bool, s)
}

// checkText accepts s when it is valid UTF-8 without NUL bytes, which is
// what a UTF8 Postgres database stores.
func checkText(s string) (any, error) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0 || (r == utf8.RuneError && size == 1) {
			return nil, errEncoding(s[i])
		}
		i += size
	}
	return s, nil
}

// parseName is namein: text truncated to 63 bytes (NAMEDATALEN-1) at a
// character boundary.
func parseName(s string) (any, error) {
	if _, err := checkText(s); err != nil {
		return nil, err
	}
	if len(s) > 63 {
		n := 63
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return s, nil
}

// parseNumeric is numeric_in for finite values: whitespace, sign, digits
// with an optional point, optional exponent. The scale of the result is the
// display scale Postgres keeps (fraction digits minus exponent, at least 0).
// NaN and ±Infinity have no *inf.Dec form and are 0A000.
func parseNumeric(s string) (any, error) {
	t := trimSpace(s)
	switch strings.ToLower(strings.TrimLeft(t, "+-")) {
	case "nan", "infinity", "inf":
		return nil, pgerr.Unsupported("numeric value %q is not supported", t)
	}
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	mant, exp := t, ""
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		mant, exp = t[:i], t[i+1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if digits == "" || !allDigits(digits) {
		return nil, errSyntax(Numeric, s)
	}
	scale := int64(len(frac))
	if exp != "" || strings.ContainsAny(t, "eE") {
		if !allDigits(strings.TrimPrefix(strings.TrimPrefix(exp, "+"), "-")) {
			return nil, errSyntax(Numeric, s)
		}
		e, err := strconv.ParseInt(exp, 10, 32)
		if err != nil {
			return nil, errNumericOverflow()
		}
		scale -= e
	}
	// Postgres' limits: display scale up to NUMERIC_DSCALE_MAX, and at most
	// 131072 digits before the decimal point.
	if scale > 16383 || int64(len(digits))-scale > 131072 {
		return nil, errNumericOverflow()
	}
	unscaled, _ := new(big.Int).SetString(digits, 10)
	if neg {
		unscaled.Neg(unscaled)
	}
	if scale < 0 {
		unscaled.Mul(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(-scale), nil))
		scale = 0
	}
	return inf.NewDecBig(unscaled, inf.Scale(scale)), nil
}

// allDigits reports whether s is non-empty and all ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseUUID is uuid_in: 32 hex digits, optionally in braces, with a hyphen
// allowed after any group of four digits. No whitespace.
func parseUUID(s string) (any, error) {
	var u [16]byte
	src := s
	braces := strings.HasPrefix(src, "{")
	if braces {
		src = src[1:]
	}
	for i := 0; i < 16; i++ {
		if len(src) < 2 {
			return nil, errSyntax(UUID, s)
		}
		hi, ok1 := unhex(src[0])
		lo, ok2 := unhex(src[1])
		if !ok1 || !ok2 {
			return nil, errSyntax(UUID, s)
		}
		u[i] = hi<<4 | lo
		src = src[2:]
		if len(src) > 0 && src[0] == '-' && i%2 == 1 && i < 15 {
			src = src[1:]
		}
	}
	if braces {
		if !strings.HasPrefix(src, "}") {
			return nil, errSyntax(UUID, s)
		}
		src = src[1:]
	}
	if src != "" {
		return nil, errSyntax(UUID, s)
	}
	return u, nil
}

// unhex returns the value of one hex digit.
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseBytea is byteain: "\x" hex format (whitespace allowed between
// digit pairs) or the traditional escape format.
func parseBytea(s string) (any, error) {
	if strings.HasPrefix(s, `\x`) {
		return parseByteaHex(s[2:])
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		switch {
		case s[i] != '\\':
			out = append(out, s[i])
			i++
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i += 2
		case i+3 < len(s) && isOctal(s[i+1], '3') && isOctal(s[i+2], '7') && isOctal(s[i+3], '7'):
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 4
		default:
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type bytea")
		}
	}
	return out, nil
}

// isOctal reports whether c is an octal digit not above max.
func isOctal(c, max byte) bool { return c >= '0' && c <= max }

// parseByteaHex decodes the digits after "\x".
func parseByteaHex(s string) (any, error) {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i < len(s); {
		if isSpace(s[i]) {
			i++
			continue
		}
		hi, ok := unhex(s[i])
		if !ok {
			return nil, hexDigitError(s[i:])
		}
		if i+1 >= len(s) {
			return nil, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal data: odd number of digits")
		}
		lo, ok := unhex(s[i+1])
		if !ok {
			return nil, hexDigitError(s[i+1:])
		}
		out = append(out, hi<<4|lo)
		i += 2
	}
	return out, nil
}

// hexDigitError is 22023 naming the first bad character of rest.
func hexDigitError(rest string) error {
	r, _ := utf8.DecodeRuneInString(rest)
	return pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal digit: \"%c\"", r)
}
