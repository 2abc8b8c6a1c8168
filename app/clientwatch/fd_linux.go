//go:build linux

package clientwatch

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// socketFD returns the file descriptor under conn, or -1.
func socketFD(conn net.Conn) int {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if rc.Control(func(f uintptr) { fd = int(f) }) != nil {
		return -1
	}
	return fd
}

// hungUp reports, for each socket, whether the peer has closed or reset
// it, without blocking and without reading.
func hungUp(fds []int) []bool {
	if len(fds) == 0 {
		return nil
	}
	pfds := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLRDHUP}
	}
	gone := make([]bool, len(fds))
	if _, err := unix.Poll(pfds, 0); err != nil {
		return gone
	}
	for i, p := range pfds {
		gone[i] = p.Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0
	}
	return gone
}
