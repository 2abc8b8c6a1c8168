//go:build !linux

package main

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux.
func setParentDeathSignal(*exec.Cmd) {}
