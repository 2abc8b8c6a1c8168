package fakeupstream

import "sync/atomic"

// pathCounts counts requests per route path. The map is built once from
// the routes and never changes, so it is read without a lock.
type pathCounts map[string]*atomic.Int64

// newPathCounts returns a zero counter for every path of rs.
func newPathCounts(rs map[string]route) pathCounts {
	pc := make(pathCounts, len(rs))
	for path := range rs {
		pc[path] = new(atomic.Int64)
	}
	return pc
}

// add counts one request for path; paths without a route are not counted.
func (pc pathCounts) add(path string) {
	if c := pc[path]; c != nil {
		c.Add(1)
	}
}

// reset zeroes every counter.
func (pc pathCounts) reset() {
	for _, c := range pc {
		c.Store(0)
	}
}

// PathRequests is how many requests for path (a route such as
// "/v1/chat/completions" or "/api/balance") reached the handler, with any
// key and however they ended, since the server started or the last Reset.
// They are counted in Counts and Total too.
func (s *Server) PathRequests(path string) int64 {
	if c := s.paths[path]; c != nil {
		return c.Load()
	}
	return 0
}
