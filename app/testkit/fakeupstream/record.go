package fakeupstream

import (
	"bytes"
	"net/http"
)

// Recorded is a request as the fake received it.
type Recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// record keeps r as the last request seen with k. body is owned by the
// caller and must not change afterwards.
func (k *keyState) record(r *http.Request, body []byte) {
	k.last.Store(&Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
}

// LastRequest returns a copy of the last request seen with key, or the zero
// Recorded when there was none.
func (s *Server) LastRequest(key string) Recorded {
	k := s.keys.lookup(key)
	if k == nil {
		return Recorded{}
	}
	rec := k.last.Load()
	if rec == nil {
		return Recorded{}
	}
	return Recorded{Method: rec.Method, Path: rec.Path, Header: rec.Header.Clone(), Body: bytes.Clone(rec.Body)}
}
