package planner

import "testing"

func TestSQLCommenterTags(t *testing.T) {
	cases := []struct {
		sql, want string
	}{
		{`UPDATE posts SET likes = likes + 1 WHERE post_id = 1 /*idempotency_key='k1'*/`, "k1"},
		{`/*idempotency_key='k%202',route='%2Fposts'*/ UPDATE posts SET likes = likes + 1 WHERE post_id = 1`, "k 2"},
		{`UPDATE posts SET likes = likes + 1 WHERE post_id = 1 /*controller='x', idempotency_key='it\'s'*/`, "it's"},
		{`UPDATE posts SET title = '/*idempotency_key=''no''*/' WHERE post_id = 1`, ""},
		{`UPDATE posts SET likes = likes + 1 WHERE post_id = 1 /* plain comment */`, ""},
		{`UPDATE posts SET likes = likes + 1 WHERE post_id = 1 /*idempotency_key='unterminated*/`, ""},
	}
	for _, c := range cases {
		if got := tagFor(comments(c.sql), 0, -1, "idempotency_key"); got != c.want {
			t.Errorf("%s: got %q, want %q", c.sql, got, c.want)
		}
	}
}

func FuzzSQLCommenterTags(f *testing.F) {
	f.Add(`/*idempotency_key='k1',a='b'*/`)
	f.Add(`/*x='\'',y=''*/`)
	f.Fuzz(func(t *testing.T, s string) {
		_ = parseTags(s)
		_ = comments("SELECT 1 " + s)
	})
}
