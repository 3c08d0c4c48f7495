package rewrite

import (
	"strings"
	"testing"
)

func TestLikeMatch(t *testing.T) {
	cases := []struct {
		s, p string
		want bool
	}{
		{"0001_init", "0%", true}, {"abc", "a_c", true}, {"abc", "a_", false}, {"abc", "%", true},
		{"", "%", true}, {"", "_", false}, {"a%b", `a\%b`, true}, {"axb", `a\%b`, false},
		{"mississippi", "%iss%ppi", true}, {"mississippi", "m%s_s%i", true}, {"abc", "%c%", true},
		{"abc", "%d%", false}, {"aaa", "a%a%a%a", false}, {"héllo", "h_llo", true},
	}
	for _, c := range cases {
		got, err := likeMatch([]rune(c.s), []rune(c.p))
		if err != nil || got != c.want {
			t.Errorf("%q LIKE %q = %v, %v; want %v", c.s, c.p, got, err, c.want)
		}
	}
	if _, err := likeMatch([]rune("a"), []rune(`a\`)); err == nil {
		t.Error("a trailing escape was accepted")
	}
	// A pattern that is exponential for naive backtracking returns at once.
	s := []rune(strings.Repeat("a", 5000))
	if ok, _ := likeMatch(s, []rune(strings.Repeat("%a", 200)+"b")); ok {
		t.Error("matched")
	}
}
