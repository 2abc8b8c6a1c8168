package fakeupstream

import "strings"

// Outage makes the whole upstream (or one model, or one path prefix of it)
// fail for every key, as a provider-wide incident does: a 503 wave, a
// backend down for one model, the /v1 API down while /api answers.
type Outage struct {
	Status     int    // error status to answer for every key (503, 502, 500…); 0 with ResetConn
	Message    string // error message; empty = the provider's usual one for Status
	ResetConn  bool   // drop every connection without an answer instead
	Model      string // only requests for this model; empty = every request
	PathPrefix string // only paths with this prefix (e.g. "/v1/"); empty = every path
}

// SetOutage starts an outage for requests that arrive afterwards; it
// replaces any earlier one. Faults programmed per key still apply outside
// it.
func (s *Server) SetOutage(o Outage) { s.outage.Store(&o) }

// EndOutage ends the outage: the upstream answers again.
func (s *Server) EndOutage() { s.outage.Store(nil) }

// outageFault returns the outage as a fault for x, or nil when none
// applies to it.
func (s *Server) outageFault(x *exchange) *Fault {
	o := s.outage.Load()
	if o == nil || o.Model != "" && o.Model != x.req.model || !strings.HasPrefix(x.r.URL.Path, o.PathPrefix) {
		return nil
	}
	return &Fault{Status: o.Status, Message: o.Message, ResetBeforeHeaders: o.ResetConn}
}
