package stats

import (
	"context"
	"log/slog"
	"time"
)

// Pruner deletes hourly rows older than a cutoff.
type Pruner interface {
	DeleteHourlyBefore(ctx context.Context, cutoff time.Time) (int64, error)
}

// Retention deletes {prefix}_model_hourly rows older than a number of days,
// at start and then daily.
type Retention struct {
	Pruners []Pruner
	Days    int
	Every   time.Duration // default 24h
	Now     func() time.Time
	Log     *slog.Logger
}

// Run prunes now and then every period until ctx ends.
func (r *Retention) Run(ctx context.Context) {
	every := r.Every
	if every <= 0 {
		every = 24 * time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r.Prune(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune deletes the old rows of every provider once.
func (r *Retention) Prune(ctx context.Context) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	cutoff := now().UTC().Truncate(time.Hour).Add(-time.Duration(r.Days) * 24 * time.Hour)
	for _, p := range r.Pruners {
		n, err := p.DeleteHourlyBefore(ctx, cutoff)
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Warn("stats: retention failed", "err", err)
			}
			continue
		}
		if n > 0 {
			r.Log.Info("stats: old hourly rows deleted", "rows", n, "before", cutoff)
		}
	}
}
