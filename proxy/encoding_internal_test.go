package proxy

import "testing"

// TestEncodingNames: encoding names match as Postgres' clean_encoding_name
// matches them; asyncpg sends client_encoding 'utf-8' with the quotes.
func TestEncodingNames(t *testing.T) {
	for name, want := range map[string]bool{"UTF8": true, "utf-8": true, "'utf-8'": true, "Unicode": true, "UTF_8": true, "LATIN1": false, "utf16": false, "": false} {
		if got := isUTF8(name); got != want {
			t.Errorf("isUTF8(%q) = %v; want %v", name, got, want)
		}
	}
}
