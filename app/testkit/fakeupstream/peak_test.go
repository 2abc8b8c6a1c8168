package fakeupstream

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestPeakInFlight(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{Latency: 100 * time.Millisecond})
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
			f.ResetPeak()
			if got := f.PeakInFlight(); got != 0 {
				t.Fatalf("after ResetPeak: %d", got)
			}
			var wg sync.WaitGroup
			for i := range tt.parallel {
				wg.Go(func() {
					f.mustDo(t, http.MethodGet, "/api/v1/key", fmt.Sprintf("k%d", i), "")
				})
			}
			wg.Wait()
			if got := f.PeakInFlight(); got != tt.want {
				t.Errorf("PeakInFlight = %d, want %d", got, tt.want)
			}
		})
	}
}
