package stats

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

type cutoffRecorder struct{ cutoffs []time.Time }

func (c *cutoffRecorder) DeleteHourlyBefore(_ context.Context, cutoff time.Time) (int64, error) {
	c.cutoffs = append(c.cutoffs, cutoff)
	return 1, nil
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
	ctx, cancel := context.WithTimeout(context.Background(), 70*time.Millisecond)
	defer cancel()
	r.Run(ctx)
	if len(p.cutoffs) < 3 {
		t.Fatalf("pruned %d times in 70ms with a 20ms period", len(p.cutoffs))
	}
}
