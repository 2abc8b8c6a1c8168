package store_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/models"
)

// BenchmarkWriteStats measures one flush of a batch touching n keys (of
// a pool of max(n, 20,000)), 100 client tokens, 4 models and their hours,
// in the steady state where every stats row already exists.
//
//	TEST_DATABASE_URL=… go test ./app/store -run '^$' -bench WriteStats
func BenchmarkWriteStats(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		for _, n := range []int{100, 20_000} {
			b.Run(fmt.Sprintf("%s/keys=%d", dialect, n), func(b *testing.B) {
				s := store.New(storetest.Open(b, dialect), "ollama_api")
				batch := benchBatch(b, s, n)
				if err := s.WriteStats(b.Context(), batch); err != nil { // creates the rows
					b.Fatal(err)
				}
				i := 0
				start := time.Now()
				for b.Loop() {
					i++
					batch.ID = "bench-" + strconv.Itoa(i)
					if err := s.WriteStats(b.Context(), batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(i), "ms/batch")
			})
		}
	}
}

// benchBatch stores the keys and tokens of a batch and returns the batch.
func benchBatch(b *testing.B, s *store.Store, n int) *stats.Batch {
	b.Helper()
	pool := make([]models.Key, max(n, 20_000))
	for i := range pool {
		pool[i] = models.Key{APIKey: fmt.Sprintf("sk-bench-%06d", i)}
	}
	if _, err := s.InsertKeys(b.Context(), pool); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	batch := &stats.Batch{Provider: "ollama", Keys: map[string]*stats.KeyDelta{}, Models: map[string]*stats.ModelDelta{},
		Hourly: map[stats.HourKey]*stats.Counter{}, Tokens: map[string]*stats.TokenDelta{}}
	for i := range n {
		d := &stats.KeyDelta{Counter: stats.Counter{Requests: 2, Success: 1, Failure: 1, PromptTokens: 30,
			CompletionTokens: 70, LatencyMs: 900}, LastUsed: now, LastSuccess: now, LastFailure: now, Trailing: 1}
		d.SawSuccess = i%2 == 0
		batch.Keys[pool[i].APIKey] = d
		batch.Global.Requests += d.Requests
	}
	for i := range 4 {
		m := fmt.Sprintf("model-%d", i)
		batch.Models[m] = &stats.ModelDelta{Counter: stats.Counter{Requests: 10, Success: 9, Failure: 1}, LastUsed: now}
		batch.Hourly[stats.HourKey{Model: m, Hour: now.Truncate(time.Hour)}] = &stats.Counter{Requests: 10, Success: 9, Failure: 1}
	}
	for i := range 100 {
		tok := fmt.Sprintf("sha256:bench-%03d", i)
		if err := s.CreateToken(b.Context(), models.ClientToken{Token: tok, Name: "bench"}); err != nil {
			b.Fatal(err)
		}
		batch.Tokens[tok] = &stats.TokenDelta{Requests: 3, LastUsed: now}
	}
	return batch
}
