package web

import (
	"context"
	"strconv"
	"time"

	"github.com/keypool/keypool/app/memo"
	"github.com/keypool/keypool/app/store"
)

// liveHours are the latest hours of a trend read on every request: the
// current one, and the one before, which a flush may still add to just
// after the hour turned.
const liveHours = 2

// trendSeries reads the trend chart's hours. Summing 30 days of hourly
// rows takes PostgreSQL ~25 ms, and those hours do not change (except
// when a flush held back by a database outage lands late), so they are
// kept in memory for ttl; the live hours are read on every request (an
// index range of a few rows), so the chart's latest hours are always
// current. Concurrent misses share one read.
type trendSeries struct {
	src StatsSource
	ttl time.Duration
	old *memo.Memo[oldHours]
}

// oldHours is the cached part of a window: the hours in [from, to).
type oldHours struct {
	from   time.Time
	points []store.HourPoint
}

func newTrendSeries(src StatsSource, ttl time.Duration) *trendSeries {
	return &trendSeries{src: src, ttl: ttl, old: memo.New[oldHours]()}
}

// last returns one point per UTC hour of the last hours up to now, the
// current hour last.
func (t *trendSeries) last(ctx context.Context, provider string, hours int, now time.Time) ([]store.HourPoint, error) {
	next := now.UTC().Truncate(time.Hour).Add(time.Hour)
	from, split := next.Add(-time.Duration(hours)*time.Hour), next.Add(-liveHours*time.Hour)
	key := provider + "/" + strconv.Itoa(hours)
	load := func(ctx context.Context) (oldHours, error) {
		points, err := t.src.HourlySeries(ctx, provider, from, split)
		return oldHours{from: from, points: points}, err
	}
	old, err := t.old.Get(ctx, key, t.ttl, load)
	if err == nil && !old.from.Equal(from) { // the hour turned since: the window moved
		t.old.Forget(key)
		old, err = t.old.Get(ctx, key, t.ttl, load)
	}
	if err != nil {
		return nil, err
	}
	live, err := t.src.HourlySeries(ctx, provider, split, next)
	if err != nil {
		return nil, err
	}
	return append(append(make([]store.HourPoint, 0, hours), old.points...), live...), nil
}
