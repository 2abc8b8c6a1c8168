//go:build linux

package main

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the gateway if this process dies without
// stopping it (kill -9, a crash).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
