package proxy

import (
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// Format codes of the protocol (protocol-overview.html#PROTOCOL-FORMAT-CODES).
const (
	textFormat   int16 = 0
	binaryFormat int16 = 1
)

// rowDescription describes fields with one format code per column (nil:
// all text, as Describe of a statement and the simple protocol report).
func rowDescription(fields []Field, formats []int16) *pgproto3.RowDescription {
	rd := &pgproto3.RowDescription{Fields: make([]pgproto3.FieldDescription, len(fields))}
	for i, f := range fields {
		size := f.DataTypeSize
		if size == 0 {
			if ti, ok := sqltypes.Info(f.DataTypeOID); ok {
				size = ti.Len
			}
		}
		typmod := f.TypeModifier
		if typmod == 0 {
			typmod = -1 // no type modifier; no supported type has typmod 0
		}
		format := textFormat
		if formats != nil {
			format = formats[i]
		}
		rd.Fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(f.Name),
			TableOID:             f.TableOID,
			TableAttributeNumber: f.ColumnAttr,
			DataTypeOID:          f.DataTypeOID,
			DataTypeSize:         size,
			TypeModifier:         typmod,
			Format:               format,
		}
	}
	return rd
}

// sendRows sends rows as DataRows, each value encoded with sqltypes in
// its column's format (formats nil: all text). It flushes when the
// buffer grows past flushThreshold.
func (c *conn) sendRows(fields []Field, formats []int16, rows [][]any) error {
	if len(fields) == 0 && len(rows) > 0 {
		// A DataRow without RowDescription breaks clients (psql: "server
		// sent data without prior row description").
		return fmt.Errorf("proxy: statement returned %d rows but describes no columns", len(rows))
	}
	for _, row := range rows {
		if err := c.sendRow(fields, formats, row); err != nil {
			return err
		}
		if c.ioErr != nil {
			return nil
		}
	}
	return nil
}

// sendRow encodes one row into the connection's scratch buffer and sends
// it as a DataRow.
func (c *conn) sendRow(fields []Field, formats []int16, row []any) error {
	if len(row) != len(fields) {
		return fmt.Errorf("proxy: row has %d values for %d fields", len(row), len(fields))
	}
	buf := c.scratch[:0]
	if buf == nil {
		buf = make([]byte, 0, 512) // non-nil: an empty value must not read as NULL
	}
	offsets := c.offsets[:0]
	for i, v := range row {
		if v == nil {
			offsets = append(offsets, -1)
			continue
		}
		offsets = append(offsets, len(buf))
		var err error
		if formats != nil && formats[i] == binaryFormat {
			buf, err = sqltypes.AppendBinary(buf, fields[i].DataTypeOID, v)
		} else {
			buf, err = sqltypes.AppendText(buf, fields[i].DataTypeOID, v)
		}
		if err != nil {
			if pgerr.As(err) == nil {
				err = fmt.Errorf("proxy: encode column %q: %w", fields[i].Name, err)
			}
			return err
		}
	}
	values := slices.Grow(c.values[:0], len(row))[:len(row)]
	for i, start := range offsets {
		values[i] = nil // NULL
		if start < 0 {
			continue
		}
		end := len(buf)
		for _, next := range offsets[i+1:] {
			if next >= 0 {
				end = next
				break
			}
		}
		values[i] = buf[start:end:end]
	}
	c.be.Send(&pgproto3.DataRow{Values: values})
	c.scratch, c.offsets, c.values = buf, offsets, values
	c.sent(len(buf) + 4*len(values) + 7)
	return nil
}
