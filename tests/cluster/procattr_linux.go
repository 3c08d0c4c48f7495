package cluster

import "syscall"

// dieWithParent makes a child process get SIGKILL when the test binary that
// started it dies, so a crashed suite leaves no tally running.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
