//go:build !linux

package clientwatch

import "net"

// socketFD is not supported here: only idle limits are watched, and a
// gone client is noticed when a write to it fails.
func socketFD(net.Conn) int { return -1 }

func hungUp(fds []int) []bool { return make([]bool, len(fds)) }
