package web

import (
	"context"
	"testing"
	"time"

	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/store"
)

// hourSource answers one request per hour (the point's Requests is its
// hour's index since t0) and logs the windows read.
type hourSource struct {
	t0    time.Time
	reads [][2]time.Time
}

func (s *hourSource) Overview(context.Context, string) (operator.Overview, error) {
	return operator.Overview{}, nil
}

func (s *hourSource) HourlySeries(_ context.Context, _ string, from, to time.Time) ([]store.HourPoint, error) {
	s.reads = append(s.reads, [2]time.Time{from, to})
	var out []store.HourPoint
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		out = append(out, store.HourPoint{Hour: h, Requests: int64(h.Sub(s.t0) / time.Hour)})
	}
	return out, nil
}

func TestWebTrendSeriesCachesOldHoursOnly(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	src := &hourSource{t0: t0}
	ts := newTrendSeries(src, time.Minute)
	check := func(now time.Time, wantReads int) {
		t.Helper()
		points, err := ts.last(t.Context(), "ollama", 24, now)
		if err != nil {
			t.Fatal(err)
		}
		cur := now.Truncate(time.Hour)
		if len(points) != 24 || !points[23].Hour.Equal(cur) || !points[0].Hour.Equal(cur.Add(-23*time.Hour)) {
			t.Fatalf("at %v: %d points from %v to %v", now, len(points), points[0].Hour, points[len(points)-1].Hour)
		}
		for i, p := range points {
			if p.Requests != int64(p.Hour.Sub(t0)/time.Hour) || (i > 0 && !p.Hour.Equal(points[i-1].Hour.Add(time.Hour))) {
				t.Fatalf("at %v: point %d is %+v", now, i, p)
			}
		}
		if len(src.reads) != wantReads {
			t.Fatalf("at %v: %d reads, want %d: %v", now, len(src.reads), wantReads, src.reads)
		}
	}
	now := t0.Add(48*time.Hour + 10*time.Minute)
	check(now, 2)                     // old hours and live hours
	check(now.Add(20*time.Second), 3) // live hours only
	last := src.reads[2]
	if last[1].Sub(last[0]) != liveHours*time.Hour {
		t.Fatalf("live read spans %v", last[1].Sub(last[0]))
	}
	check(now.Add(55*time.Minute), 5) // the hour turned: the window moved
	check(now.Add(55*time.Minute+time.Second), 6)
}
