package jobs

// maxLinesPerEvent bounds one progress event, so a page that comes back to
// a long job gets its lines in pieces instead of one huge message.
const maxLinesPerEvent = 256

// Event types.
const (
	EventProgress = "progress"
	EventDone     = "done"
)

// Event is one message for a subscriber: the job's counters and the lines
// added since the subscriber's previous event.
type Event struct {
	Type string `json:"-"` // progress | done
	Summary
	Lines []Line `json:"lines,omitempty"`
}

// Subscription follows one job. Wait on C, then call Next until it reports
// nothing new. A subscriber never slows the job: signals are coalesced and
// lines are read from the job, so none is lost however slow the reader.
type Subscription struct {
	// C receives a signal after the job changed.
	C <-chan struct{}

	c        chan struct{}
	job      *Job
	next     int  // index of the first line not yet delivered
	started  bool // the first event (the job as it stands) was delivered
	doneSent bool
}

// Subscribe starts following the job. The first Next returns the job as
// it stands, with the lines so far. Close the subscription when done.
func (j *Job) Subscribe() *Subscription {
	c := make(chan struct{}, 1)
	s := &Subscription{C: c, c: c, job: j}
	j.mu.Lock()
	j.subs[s] = struct{}{}
	j.mu.Unlock()
	return s
}

// Close stops the subscription; C receives no more signals.
func (s *Subscription) Close() {
	s.job.mu.Lock()
	delete(s.job.subs, s)
	s.job.mu.Unlock()
}

// Next returns the next event and true, or false when there is nothing new
// (wait on C). After the done event it always returns false.
func (s *Subscription) Next() (Event, bool) {
	j := s.job
	j.mu.Lock()
	defer j.mu.Unlock()
	if s.doneSent {
		return Event{}, false
	}
	end := min(len(j.lines), s.next+maxLinesPerEvent)
	if end > s.next || !s.started {
		ev := Event{Type: EventProgress, Summary: j.sum, Lines: append([]Line{}, j.lines[s.next:end]...)}
		s.next, s.started = end, true
		return ev, true
	}
	if j.sum.State != Running {
		s.doneSent = true
		return Event{Type: EventDone, Summary: j.sum}, true
	}
	return Event{}, false
}

// notify signals every subscriber; call with j.mu held.
func (j *Job) notify() {
	for s := range j.subs {
		select {
		case s.c <- struct{}{}:
		default: // a signal is already pending
		}
	}
}
