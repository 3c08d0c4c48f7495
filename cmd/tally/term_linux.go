package main

import (
	"os"
	"syscall"
	"unsafe"
)

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	var t syscall.Termios
	return ioctl(f, syscall.TCGETS, &t) == nil
}

// echoOff turns f's echo off and returns the function that restores it.
func echoOff(f *os.File) (restore func(), err error) {
	var old syscall.Termios
	if err := ioctl(f, syscall.TCGETS, &old); err != nil {
		return nil, err
	}
	t := old
	t.Lflag &^= syscall.ECHO
	t.Lflag |= syscall.ICANON
	if err := ioctl(f, syscall.TCSETS, &t); err != nil {
		return nil, err
	}
	return func() { _ = ioctl(f, syscall.TCSETS, &old) }, nil
}

func ioctl(f *os.File, req uintptr, t *syscall.Termios) error {
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(unsafe.Pointer(t)))
	if errno != 0 {
		return errno
	}
	return nil
}
