package sqltypes

// decodeCatalogText is the input function of "char" (arrays are in
// array.go).
func decodeCatalogText(oid OID, s string) (any, error) {
	if oid == Char {
		if s == "" {
			return "", nil
		}
		return s[:1], nil
	}
	return nil, errUnsupportedType(oid)
}

// decodeCatalogBinary is "char"'s binary input (arrays are in array.go).
func decodeCatalogBinary(oid OID, b []byte) (any, error) {
	if oid == Char {
		if len(b) != 1 {
			return nil, errBinaryLen(oid, 1, len(b))
		}
		if b[0] == 0 {
			return "", nil
		}
		return string(b), nil
	}
	return nil, errUnsupportedType(oid)
}
