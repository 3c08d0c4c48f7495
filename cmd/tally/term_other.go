//go:build !linux

package main

import (
	"errors"
	"os"
)

// isTerminal is false where tally can't turn echo off: use
// --password-stdin there.
func isTerminal(*os.File) bool { return false }

// echoOff is not supported here.
func echoOff(*os.File) (func(), error) {
	return nil, errors.New("turning echo off is not supported on this system")
}
