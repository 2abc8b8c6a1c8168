// Package stats turns finished proxied requests into the statistics tables:
// an in-memory aggregator that the proxy feeds without blocking, and a
// flusher that writes the sums in batches.
package stats

import "time"

// Outcome is one finished client request, as the proxy saw it.
type Outcome struct {
	Provider string
	Model    string
	Token    string // stored value of the client token (its digest)
	Key      string // upstream key that gave the final answer; "" when none did
	Status   int    // HTTP status the client got
	Success  bool   // the client got a 2xx answer
	Stream   bool
	// FailedKeys are keys whose attempt failed before the final answer
	// (failover); each counts as a failure of that key.
	FailedKeys       []string
	PromptTokens     int64
	CompletionTokens int64
	Latency          time.Duration
	At               time.Time
}

// Recorder receives outcomes. Record must not block.
type Recorder interface {
	Record(o Outcome)
}

// Discard is a Recorder that keeps nothing.
type Discard struct{}

// Record drops the outcome.
func (Discard) Record(Outcome) {}
