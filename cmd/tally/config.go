package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tally-db/tally/app"
)

// configCmd runs `tally config print [serve flags]`: the configuration
// serve would run with, as YAML, secrets redacted.
func configCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(os.Stderr, `usage: tally config print [serve flags]

Prints the effective configuration — defaults, then the --config YAML file
(or TALLY_CONFIG), the TALLY_* environment and the flags, in increasing
precedence — as YAML that --config accepts. Secrets are redacted.
`)
		if len(args) == 0 {
			return errors.New("config: missing subcommand (print)")
		}
		return flag.ErrHelp
	}
	if args[0] != "print" {
		return fmt.Errorf("config: unknown subcommand %q (want print)", args[0])
	}
	cfg, err := app.Load("config print", args[1:], os.LookupEnv, nil)
	if err != nil {
		return err
	}
	return cfg.Print(stdout)
}

// noFlags parses the flags of a command that takes none, for -h.
func noFlags(name, synopsis string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "usage: tally %s\n\n%s\n", name, synopsis) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	return nil
}
