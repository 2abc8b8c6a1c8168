package outage

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/logtest"
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
