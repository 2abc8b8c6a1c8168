package stats

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

type cutoffRecorder struct {
	mu      sync.Mutex
	cutoffs []time.Time
}

func (c *cutoffRecorder) DeleteHourlyBefore(_ context.Context, cutoff time.Time) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cutoffs = append(c.cutoffs, cutoff)
	return 1, nil
}

func (c *cutoffRecorder) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cutoffs)
}

func TestRetentionCutoff(t *testing.T) {
	t.Parallel()
	p := &cutoffRecorder{}
	r := &Retention{Pruners: []Pruner{p, p}, Days: 30, Now: func() time.Time { return t0 },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r.Prune(context.Background())
	want := time.Date(2026, 10, 26, 10, 0, 0, 0, time.UTC)
	if len(p.cutoffs) != 2 || !p.cutoffs[0].Equal(want) {
		t.Fatalf("cutoffs %v, want %v for each provider", p.cutoffs, want)
	}
}

// Run prunes at start, then every period.
func TestRetentionRuns(t *testing.T) {
	t.Parallel()
	p := &cutoffRecorder{}
	r := &Retention{Pruners: []Pruner{p}, Days: 1, Every: 20 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for p.count() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if p.count() < 3 {
		t.Fatalf("pruned %d times in 5s with a 20ms period", p.count())
	}
}
