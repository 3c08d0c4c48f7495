package sqltypes

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/tally-db/tally/pgerr"
	"gopkg.in/inf.v0"
)

// Numeric's binary format (numeric_send in Postgres' numeric.c): int16
// ndigits, int16 weight, uint16 sign, int16 dscale, then ndigits base-10000
// digits, most significant first; the value is sum(digit[i] *
// 10000^(weight-i)). pgtype's codec produces a different (unstripped) form
// and is quadratic in the number of digits, so tally has its own: both
// directions go through decimal strings, which math/big converts in
// sub-quadratic time.

// Numeric sign words.
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
)

// decodeNumericBinary is numeric_recv for finite values. Digits beyond
// dscale are truncated, as Postgres does.
func decodeNumericBinary(b []byte) (any, error) {
	if len(b) < 8 {
		return nil, errBinaryLen(Numeric, 8, len(b))
	}
	ndigits := int(binary.BigEndian.Uint16(b))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := binary.BigEndian.Uint16(b[6:])
	if len(b) != 8+2*ndigits {
		return nil, errBinaryLen(Numeric, 8+2*ndigits, len(b))
	}
	switch sign {
	case numericPos, numericNeg:
	case numericNaN, numericPInf, numericNInf:
		return nil, pgerr.Unsupported("numeric NaN and infinity are not supported")
	default:
		return nil, errBinary(Numeric, "invalid sign 0x%04x", sign)
	}
	if dscale > 0x3FFF {
		return nil, errBinary(Numeric, "invalid scale %d", int16(dscale))
	}
	var sb strings.Builder
	sb.Grow(4*ndigits + 1)
	if sign == numericNeg {
		sb.WriteByte('-')
	}
	for i := 0; i < ndigits; i++ {
		d := binary.BigEndian.Uint16(b[8+2*i:])
		if d >= 10000 {
			return nil, errBinary(Numeric, "invalid digit %d", d)
		}
		s := strconv.Itoa(int(d))
		sb.WriteString("0000"[len(s):])
		sb.WriteString(s)
	}
	if ndigits == 0 {
		return inf.NewDec(0, inf.Scale(dscale)), nil
	}
	unscaled, _ := new(big.Int).SetString(sb.String(), 10)
	// value = unscaled * 10^exp10; wanted: unscaledOut * 10^-dscale.
	exp10 := 4*(weight-ndigits+1) + int(dscale)
	switch {
	case exp10 > 0:
		unscaled.Mul(unscaled, pow10(exp10))
	case exp10 < 0:
		unscaled.Quo(unscaled, pow10(-exp10))
	}
	return inf.NewDecBig(unscaled, inf.Scale(dscale)), nil
}

// pow10 returns 10^n.
func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// appendNumericBinary is numeric_send: the value's digits grouped in fours
// around the decimal point, zero groups stripped at both ends, zero as
// weight 0 with a positive sign, and the value's scale as dscale.
func appendNumericBinary(buf []byte, v any) ([]byte, error) {
	d, ok := asDec(v)
	if !ok {
		return buf, errGoType(Numeric, v)
	}
	if d.Scale() < 0 {
		d = new(inf.Dec).Round(d, 0, inf.RoundExact)
	}
	scale := int(d.Scale())
	unscaled := d.UnscaledBig()
	digits := new(big.Int).Abs(unscaled).String()
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	intPart, frac := digits[:len(digits)-scale], digits[len(digits)-scale:]
	intPart = strings.Repeat("0", (4-len(intPart)%4)%4) + intPart
	frac += strings.Repeat("0", (4-len(frac)%4)%4)
	groups := intPart + frac
	weight := len(intPart)/4 - 1
	for len(groups) > 0 && groups[:4] == "0000" {
		groups = groups[4:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-4:] == "0000" {
		groups = groups[:len(groups)-4]
	}
	ndigits := len(groups) / 4
	sign := uint16(numericPos)
	if ndigits == 0 {
		weight = 0
	} else if unscaled.Sign() < 0 {
		sign = numericNeg
	}
	if ndigits > math.MaxUint16 || weight > math.MaxInt16 || weight < math.MinInt16 || scale > 0x3FFF {
		return buf, errNumericOverflow()
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(ndigits))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(scale))
	for i := 0; i < len(groups); i += 4 {
		n, _ := strconv.Atoi(groups[i : i+4])
		buf = binary.BigEndian.AppendUint16(buf, uint16(n))
	}
	return buf, nil
}
