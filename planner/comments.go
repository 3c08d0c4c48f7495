package planner

import (
	"net/url"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// comment is one /* ... */ comment of a query and its byte offset.
type comment struct {
	pos  int
	tags map[string]string
}

// comments returns the sqlcommenter-style comments of sql
// (https://google.github.io/sqlcommenter/spec/): /*k1='v1',k2='v2'*/ with
// URL-encoded keys and values. Comments in another form are ignored.
func comments(sql string) []comment {
	if !strings.Contains(sql, "/*") {
		return nil
	}
	scan, err := pg_query.Scan(sql)
	if err != nil {
		return nil
	}
	var out []comment
	for _, tok := range scan.Tokens {
		if tok.Token != pg_query.Token_C_COMMENT {
			continue
		}
		body := sql[tok.Start:tok.End]
		body = strings.TrimSuffix(strings.TrimPrefix(body, "/*"), "*/")
		if tags := parseTags(body); len(tags) > 0 {
			out = append(out, comment{pos: int(tok.Start), tags: tags})
		}
	}
	return out
}

// parseTags parses k='v' pairs separated by commas; nil if body is not in
// that form.
func parseTags(body string) map[string]string {
	tags := map[string]string{}
	s := strings.TrimSpace(body)
	for s != "" {
		eq := strings.Index(s, "='")
		if eq <= 0 {
			return nil
		}
		key, err := url.QueryUnescape(strings.TrimSpace(s[:eq]))
		if err != nil {
			return nil
		}
		s = s[eq+2:]
		var val strings.Builder
		closed := false
		for i := 0; i < len(s); i++ {
			switch {
			case s[i] == '\\' && i+1 < len(s) && s[i+1] == '\'':
				val.WriteByte('\'')
				i++
			case s[i] == '\'':
				s = s[i+1:]
				closed = true
			default:
				val.WriteByte(s[i])
			}
			if closed {
				break
			}
		}
		if !closed {
			return nil
		}
		v, err := url.QueryUnescape(val.String())
		if err != nil {
			return nil
		}
		tags[key] = v
		s = strings.TrimSpace(s)
		if s != "" {
			if s[0] != ',' {
				return nil
			}
			s = strings.TrimSpace(s[1:])
		}
	}
	return tags
}

// tagFor returns the value of tag name in the comments that belong to the
// statement spanning [start, next) of the query.
func tagFor(cs []comment, start, next int, name string) string {
	for _, c := range cs {
		if c.pos >= start && (next < 0 || c.pos < next) {
			if v, ok := c.tags[name]; ok {
				return v
			}
		}
	}
	return ""
}
