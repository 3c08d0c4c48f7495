package e2e

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

const wireTypesDDL = `CREATE TABLE wire_types (
	id bigint PRIMARY KEY, b boolean, i2 smallint, i4 integer, f4 real, f8 double precision,
	n numeric, t text, vc varchar(10), by bytea, u uuid, d date, ts timestamp, tz timestamptz
)`

const wireTypesCols = `id, b, i2, i4, f4, f8, n, t, vc, by, u, d, ts, tz`

// binaryValues are the values of one wire_types row in Postgres' binary
// format, as a client sends them: id, then one of each type.
func binaryValues(id int64) [][]byte {
	be16 := func(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
	be32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	be64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	micros := func(t time.Time) []byte { return be64(uint64(t.Sub(epoch).Microseconds())) }
	i2 := int16(-2)
	return [][]byte{
		be64(uint64(id)),
		{1},
		be16(uint16(i2)),
		be32(40000),
		be32(math.Float32bits(1.5)),
		be64(math.Float64bits(0.1)),
		// numeric -123.45: 2 base-10000 digits, weight 0, sign negative,
		// dscale 2, digits 123 and 4500.
		{0, 2, 0, 0, 0x40, 0, 0, 2, 0, 123, 0x11, 0x94},
		[]byte("héllo"),
		[]byte("ab"),
		{0, 1, 0xff},
		{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11},
		be32(uint32(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC).Sub(epoch).Hours() / 24)),
		micros(time.Date(2026, 12, 3, 13, 36, 33, 500000000, time.UTC)),
		micros(time.Date(2026, 12, 3, 13, 36, 33, 123456000, time.UTC)),
	}
}

// textValues are the same values in text format.
var textValues = []string{"", "t", "-2", "40000", "1.5", "0.1", "-123.45", "héllo", "ab", `\x0001ff`,
	"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "2026-12-03", "2026-12-03 13:36:33.5", "2026-12-03 13:36:33.123456+00"}

// row summarises values as a DataRow would.
func row(vals [][]byte) string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = fmt.Sprintf("%q", v)
		if v == nil {
			out[i] = "NULL"
		}
	}
	return "DataRow " + strings.Join(out, "|")
}

// 2. Binary format in both directions for every supported type: one
// format code for all parameters or results, or one per column; the bytes
// are Postgres 15's, byte for byte.
func TestWireBinaryFormats(t *testing.T) {
	w := startWire(t, wireTypesDDL)
	c := w.raw(t)
	c.expect([]string{"CommandComplete SET", "ReadyForQuery I"}, &pgproto3.Query{String: "SET TimeZone = 'UTC'"})
	c.expect([]string{"ParseComplete", "ParseComplete", "ReadyForQuery I"},
		&pgproto3.Parse{Name: "ins", Query: `INSERT INTO wire_types (` + wireTypesCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`},
		&pgproto3.Parse{Name: "sel", Query: `SELECT ` + wireTypesCols + ` FROM wire_types WHERE id = $1`},
		&pgproto3.Sync{})

	// Row 1: every parameter binary (one format code for all).
	one := binaryValues(1)
	// Row 2: formats alternate per parameter, text ones in text.
	two := binaryValues(2)
	formats := make([]int16, len(two))
	for i := range two {
		if i%2 == 1 {
			formats[i] = 1
		} else if i > 0 {
			two[i] = []byte(textValues[i])
		}
	}
	two[0] = []byte("2")
	// Row 3: NULLs.
	three := make([][]byte, len(one))
	three[0] = binaryValues(3)[0]
	c.expect([]string{"BindComplete", "CommandComplete INSERT 0 1", "BindComplete", "CommandComplete INSERT 0 1",
		"BindComplete", "CommandComplete INSERT 0 1", "ReadyForQuery I"},
		&pgproto3.Bind{PreparedStatement: "ins", ParameterFormatCodes: []int16{1}, Parameters: one}, &pgproto3.Execute{},
		&pgproto3.Bind{PreparedStatement: "ins", ParameterFormatCodes: formats, Parameters: two}, &pgproto3.Execute{},
		&pgproto3.Bind{PreparedStatement: "ins", ParameterFormatCodes: []int16{1}, Parameters: three}, &pgproto3.Execute{},
		&pgproto3.Sync{})

	want := binaryValues(1)
	wantText := make([][]byte, len(textValues))
	for i, v := range textValues {
		wantText[i] = []byte(v)
	}
	mixed := make([][]byte, len(want))
	resultFormats := make([]int16, len(want))
	for i := range want {
		if i%2 == 0 {
			mixed[i], resultFormats[i] = want[i], 1
		} else {
			mixed[i] = wantText[i]
		}
	}
	nulls := make([][]byte, len(want))
	for _, id := range []int64{1, 2, 3} {
		key := binary.BigEndian.AppendUint64(nil, uint64(id))
		bin := append([][]byte(nil), want...)
		txt := append([][]byte(nil), wantText...)
		mix := append([][]byte(nil), mixed...)
		if id == 3 {
			bin, txt, mix = append([][]byte(nil), nulls...), append([][]byte(nil), nulls...), append([][]byte(nil), nulls...)
		}
		bin[0], txt[0], mix[0] = key, []byte(fmt.Sprint(id)), key
		c.expect([]string{"BindComplete", row(bin), "CommandComplete SELECT 1",
			"BindComplete", row(txt), "CommandComplete SELECT 1",
			"BindComplete", row(mix), "CommandComplete SELECT 1", "ReadyForQuery I"},
			&pgproto3.Bind{PreparedStatement: "sel", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{key}, ResultFormatCodes: []int16{1}}, &pgproto3.Execute{},
			&pgproto3.Bind{PreparedStatement: "sel", Parameters: [][]byte{[]byte(fmt.Sprint(id))}}, &pgproto3.Execute{},
			&pgproto3.Bind{PreparedStatement: "sel", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{key}, ResultFormatCodes: resultFormats}, &pgproto3.Execute{},
			&pgproto3.Sync{})
	}
	// name and oid, the other types sqltypes knows, in binary.
	c.expect([]string{"ParseComplete", "BindComplete",
		"RowDescription current_database:19:-1:1,current_user:19:-1:1,name:19:-1:1,oid:26:-1:1",
		row([][]byte{[]byte(w.db), []byte(w.user), []byte("x"), {0, 0, 0, 7}}), "CommandComplete SELECT 1", "ReadyForQuery I"},
		&pgproto3.Parse{Query: `SELECT current_database(), current_user, 'x'::name, 7::oid`},
		&pgproto3.Bind{ResultFormatCodes: []int16{1}}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})

	// Malformed binary input is an error, not a crash, and the connection
	// goes on: too few bytes is 08P01 ("insufficient data left in
	// message"), too many 22P03.
	for _, tc := range []struct {
		col  int
		val  []byte
		code string
	}{
		{11, []byte{1, 2}, "08P01"},
		{11, []byte{1, 2, 3, 4, 5}, "22P03"},
		{3, []byte{1, 2}, "08P01"},
		{3, []byte{1, 2, 3, 4, 5, 6}, "22P03"},
		{1, []byte{}, "08P01"},
		{10, []byte{1}, "08P01"},
		{6, []byte{0, 1}, "08P01"},
		{6, []byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 99, 0}, "22P03"},
	} {
		bad := binaryValues(4)
		bad[tc.col] = tc.val
		c.expect([]string{"Error " + tc.code, "ReadyForQuery I"},
			&pgproto3.Bind{PreparedStatement: "ins", ParameterFormatCodes: []int16{1}, Parameters: bad}, &pgproto3.Execute{}, &pgproto3.Sync{})
	}
	c.expect([]string{"BindComplete", "CommandComplete SELECT 0", "ReadyForQuery I"},
		&pgproto3.Bind{PreparedStatement: "sel", Parameters: [][]byte{[]byte("4")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
}

// char(n) values are blank-padded to n characters, in both formats.
// Known gap: tally stores and returns them unpadded (the assignment to a
// char(n) column does not pad yet); this test runs against Postgres only
// until it does.
func TestWireCharPadding(t *testing.T) {
	w := startWire(t, `CREATE TABLE wire_chars (id bigint PRIMARY KEY, c char(4))`)
	if !w.postgres {
		t.Skip("known gap: char(n) is not blank-padded by tally yet")
	}
	c := w.raw(t)
	c.expect(seqOf(ok("INSERT 0 1"), "ReadyForQuery I"), msgs(pbe(`INSERT INTO wire_chars (id, c) VALUES (1, $1)`, "ab"), &pgproto3.Sync{})...)
	c.expect([]string{"ParseComplete", "BindComplete", `DataRow "ab  "|"ab  "`, "CommandComplete SELECT 1", "ReadyForQuery I"},
		&pgproto3.Parse{Query: `SELECT c, c FROM wire_chars WHERE id = 1`}, &pgproto3.Bind{ResultFormatCodes: []int16{0, 1}},
		&pgproto3.Execute{}, &pgproto3.Sync{})
}
