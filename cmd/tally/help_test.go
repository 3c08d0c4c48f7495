package main

import (
	"errors"
	"flag"
	"strings"
	"testing"
)

// TestEveryCommandHasHelp: `tally --help` and `tally <sub> --help` for
// every subcommand end without error (flag.ErrHelp is what main treats as
// success after the help was printed).
func TestEveryCommandHasHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"}, {"serve", "--help"}, {"verify", "--help"}, {"users", "--help"},
		{"users", "add", "--help"}, {"users", "list", "--help"}, {"users", "remove", "--help"},
		{"version", "--help"}, {"config", "--help"}, {"config", "print", "--help"},
	} {
		if err := run(args); err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Errorf("tally %s: %v", strings.Join(args, " "), err)
		}
	}
	if err := run([]string{"frobnicate"}); err == nil {
		t.Error("an unknown command succeeded")
	}
	if err := run([]string{"config"}); err == nil {
		t.Error("tally config without print succeeded")
	}
}
