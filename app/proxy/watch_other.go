//go:build !linux

package proxy

import "net"

// socketFD is not supported here: only idle limits are watched.
func socketFD(net.Conn) int { return -1 }

func hungUp(fds []int) []bool { return make([]bool, len(fds)) }
