package outage

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/logtest"
)

func TestOutage(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	o := New(50*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)), "dep down", "dep back")
	if o.Skip() {
		t.Fatal("skips before any error")
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	o.Fail(gone, errors.New("canceled by the client"))
	if o.Skip() {
		t.Fatal("a request that went away started an outage")
	}
	o.Fail(context.Background(), errors.New("boom"))
	o.Fail(context.Background(), errors.New("boom again"))
	for i := range 2 {
		if !o.Skip() {
			t.Fatalf("call %d during the pause does not skip", i+1)
		}
	}
	time.Sleep(60 * time.Millisecond)
	probes := 0
	for range 10 {
		if !o.Skip() {
			probes++
		}
	}
	if probes != 1 {
		t.Errorf("%d calls probed after the pause, want 1", probes)
	}
	o.OK()
	o.OK()
	if o.Skip() {
		t.Error("skips after a call worked")
	}
	if got := logs.String(); strings.Count(got, "dep down") != 1 || strings.Count(got, "dep back") != 1 {
		t.Errorf("logged:\n%s\nwant one down and one back", got)
	}
}

// A probed outage never lets a caller through: the probe runs in the
// background, at most one at a time, and its success ends the outage.
func TestProbedOutage(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	var up atomic.Bool
	var probes atomic.Int64
	o := NewProbed(20*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)), "dep down", "dep back",
		func(context.Context) error {
			probes.Add(1)
			if up.Load() {
				return nil
			}
			return errors.New("still down")
		})
	o.Fail(context.Background(), errors.New("boom"))
	deadline := time.Now().Add(2 * time.Second)
	for probes.Load() < 2 {
		if !o.Skip() {
			t.Fatal("a caller was let through while the dependency is away")
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d probes in 2 s", probes.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !o.Down() {
		t.Fatal("a failed probe ended the outage")
	}
	up.Store(true)
	for o.Down() {
		o.Skip()
		if time.Now().After(deadline.Add(2 * time.Second)) {
			t.Fatal("a successful probe did not end the outage")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if o.Skip() {
		t.Error("skips after the outage ended")
	}
	if got := logs.String(); strings.Count(got, "dep down") != 1 || strings.Count(got, "dep back") != 1 {
		t.Errorf("logged:\n%s\nwant one down and one back", got)
	}
}
