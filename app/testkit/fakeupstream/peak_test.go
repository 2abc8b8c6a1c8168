package fakeupstream

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Requests are held at the fake (a first-byte delay, which ends when the
// client leaves) until the peak shows them all, so the count does not
// depend on how fast a loaded machine starts the clients.
func TestPeakInFlight(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{})
	tests := []struct {
		name     string
		parallel int
		want     int64
	}{
		{"one at a time", 1, 1},
		{"six at once", 6, 6},
		{"three after six, reset", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The last step's requests end at the fake just after their
			// clients left: once they have, the reset peak is 0.
			for wait := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				f.ResetPeak()
				if f.PeakInFlight() == 0 {
					break
				}
				if time.Now().After(wait) {
					t.Fatalf("after ResetPeak: %d still in flight", f.PeakInFlight())
				}
			}
			ctx, leave := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for i := range tt.parallel {
				key := fmt.Sprintf("%s-k%d", tt.name, i)
				f.SetFault(key, Fault{FirstByteDelay: time.Minute})
				wg.Go(func() { _, _ = f.do(ctx, http.MethodGet, "/api/v1/key", key, "") })
			}
			deadline := time.Now().Add(10 * time.Second)
			for f.PeakInFlight() < tt.want && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			leave()
			wg.Wait()
			if got := f.PeakInFlight(); got != tt.want {
				t.Errorf("PeakInFlight = %d, want %d", got, tt.want)
			}
		})
	}
}
