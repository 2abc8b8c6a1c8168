package stats

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// memWriter keeps written batches merged, like the tables would, and can
// be told to fail, or to commit and then report a failure (a lost
// acknowledgement).
type memWriter struct {
	mu       sync.Mutex
	fail     bool
	lostAcks int // the next n writes commit but report an error
	applied  map[string]bool
	total    *Batch
	writes   int
}

func (w *memWriter) StatsApplied(_ context.Context, id string) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail {
		return false, errors.New("database down")
	}
	return w.applied[id], nil
}

func (w *memWriter) WriteStats(_ context.Context, b *Batch) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail {
		return errors.New("database down")
	}
	if w.applied == nil {
		w.applied = map[string]bool{}
	}
	if w.applied[b.ID] {
		panic("batch id reused")
	}
	w.applied[b.ID] = true
	defer func() {
		if w.lostAcks > 0 {
			w.lostAcks--
			panic(errLostAck) // recovered below
		}
	}()
	w.writes++
	if w.total == nil {
		w.total = newBatch(b.Provider)
	}
	w.total.merge(b)
	return nil
}

var errLostAck = errors.New("connection reset during commit")

// lossy wraps memWriter so that a lost acknowledgement returns an error.
type lossy struct{ *memWriter }

func (l lossy) WriteStats(ctx context.Context, b *Batch) (err error) {
	defer func() {
		if r := recover(); r == errLostAck {
			err = errLostAck
		} else if r != nil {
			panic(r)
		}
	}()
	return l.memWriter.WriteStats(ctx, b)
}

func newTestAggregator(w Writer) *Aggregator {
	return NewAggregator(map[string]Writer{"ollama": w}, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

var t0 = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

func TestRecordCountsOnce(t *testing.T) {
	t.Parallel()
	w := &memWriter{}
	a := newTestAggregator(w)
	a.Record(Outcome{Provider: "ollama", Model: "m1", Token: "tok", Key: "k2", Success: true, Status: 200,
		FailedKeys: []string{"k1"}, PromptTokens: 10, CompletionTokens: 5, Latency: 30 * time.Millisecond, At: t0})
	a.Record(Outcome{Provider: "ollama", Model: "", Token: "tok", Status: 503, At: t0.Add(time.Hour)})
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := w.total
	if b.Global != (Counter{Requests: 2, Success: 1, Failure: 1, PromptTokens: 10, CompletionTokens: 5, LatencyMs: 30}) {
		t.Errorf("global %+v", b.Global)
	}
	if m := b.Models["m1"]; m.Requests != 1 || m.Success != 1 || !m.LastUsed.Equal(t0) {
		t.Errorf("model m1 %+v", m)
	}
	if m := b.Models[UnknownModel]; m == nil || m.Failure != 1 {
		t.Errorf("a request without a model must count under %q: %+v", UnknownModel, b.Models)
	}
	if h := b.Hourly[HourKey{"m1", t0.Truncate(time.Hour)}]; h == nil || h.Requests != 1 {
		t.Errorf("hourly %+v", b.Hourly)
	}
	if k := b.Keys["k1"]; k.Requests != 1 || k.Failure != 1 || k.Trailing != 1 || k.SawSuccess {
		t.Errorf("failed-over key %+v", k)
	}
	if k := b.Keys["k2"]; k.Requests != 1 || k.Success != 1 || k.PromptTokens != 10 || !k.SawSuccess || k.Trailing != 0 {
		t.Errorf("answering key %+v", k)
	}
	if tk := b.Tokens["tok"]; tk.Requests != 2 || !tk.LastUsed.Equal(t0.Add(time.Hour)) {
		t.Errorf("token %+v", tk)
	}
}

// consecutive_failures: the trailing failures after the last success,
// across batches merged after a failed flush too.
func TestKeyTrailingFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		outcomes  []bool // per attempt of one key: success?
		wantSaw   bool
		wantTrail int
	}{
		{"only failures", []bool{false, false, false}, false, 3},
		{"success resets", []bool{false, false, true}, true, 0},
		{"failures after success", []bool{true, false, false}, true, 2},
		{"mixed", []bool{false, true, false, true, false}, true, 1},
	}
	for _, tt := range tests {
		for split := 0; split <= len(tt.outcomes); split++ {
			w := &memWriter{fail: true}
			a := newTestAggregator(w)
			for i, ok := range tt.outcomes {
				if i == split {
					a.Flush(context.Background()) // fails: the first part waits, merged with the rest
				}
				a.Record(Outcome{Provider: "ollama", Key: "k", Success: ok, At: t0})
			}
			w.fail = false
			if err := a.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			k := w.total.Keys["k"]
			if k.SawSuccess != tt.wantSaw || k.Trailing != tt.wantTrail || k.Requests != int64(len(tt.outcomes)) {
				t.Errorf("%s (split %d): %+v", tt.name, split, k)
			}
		}
	}
}

// A failed flush keeps every count; the next one writes them all.
func TestFlushFailureKeepsCounts(t *testing.T) {
	t.Parallel()
	w := &memWriter{fail: true}
	a := newTestAggregator(w)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				a.Record(Outcome{Provider: "ollama", Model: "m", Key: "k", Success: i%3 != 0, At: t0})
				if i%100 == 0 {
					a.Flush(context.Background())
				}
			}
		}()
	}
	wg.Wait()
	if st := a.Status(); st.FailedFlush == 0 || st.PendingRows == 0 {
		t.Fatalf("status after failed flushes: %+v", st)
	}
	w.mu.Lock()
	w.fail = false
	w.mu.Unlock()
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g := w.total.Global; g.Requests != 8000 || g.Success+g.Failure != 8000 || w.total.Keys["k"].Requests != 8000 {
		t.Fatalf("after recovery: global %+v key %+v", g, w.total.Keys["k"])
	}
	if a.Status().PendingRows != 0 {
		t.Fatal("pending rows after a good flush")
	}
}

// Run writes what is pending when its context ends.
func TestRunFlushesOnStop(t *testing.T) {
	t.Parallel()
	w := &memWriter{}
	a := newTestAggregator(w)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	a.Record(Outcome{Provider: "ollama", Model: "m", At: t0})
	cancel()
	<-done
	if w.total == nil || w.total.Global.Requests != 1 {
		t.Fatalf("not flushed on stop: %+v", w.total)
	}
}

func BenchmarkRecord(b *testing.B) {
	a := newTestAggregator(&memWriter{})
	o := Outcome{Provider: "ollama", Model: "gpt-oss:120b", Token: "sha256:abc", Key: "sk-1", Success: true, Status: 200, At: time.Now()}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a.Record(o)
		}
	})
}

// A batch whose commit went through but whose acknowledgement was lost is
// not written again: the next flush finds its id and drops it.
func TestLostAcknowledgementCountsOnce(t *testing.T) {
	t.Parallel()
	w := &memWriter{lostAcks: 1}
	a := newTestAggregator(lossy{w})
	a.Record(Outcome{Provider: "ollama", Model: "m", Success: true, At: t0})
	if err := a.Flush(context.Background()); err == nil {
		t.Fatal("the lost acknowledgement should surface as an error")
	}
	a.Record(Outcome{Provider: "ollama", Model: "m", Success: true, At: t0})
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := w.total.Global.Requests; got != 2 {
		t.Fatalf("stored %d requests, want 2", got)
	}
}
