package pool

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

const benchKeys = 100_000

// genStore makes n rows on each ListKeys, so that after Load the pool
// holds the only references to them (for the memory figure).
type genStore struct {
	n      int
	status func(i int, r *models.Key)
}

func (s genStore) ListKeys(context.Context) ([]models.Key, error) {
	created := time.Now().Add(-24 * time.Hour)
	rows := make([]models.Key, s.n)
	for i := range rows {
		// The length of an OpenRouter key: "sk-or-v1-" and 64 hex digits.
		rows[i] = models.Key{APIKey: fmt.Sprintf("sk-or-v1-%064x", i), Username: "bench", Status: models.StatusActive, CreatedAt: created}
		if s.status != nil {
			s.status(i, &rows[i])
		}
	}
	return rows, nil
}

func (genStore) SaveKeyStates(context.Context, []models.Key) error { return nil }

// benchPool loads n keys into a pool on the real clock.
func benchPool(tb testing.TB, n int, status func(i int, r *models.Key)) *Pool {
	tb.Helper()
	p := New(Config{}, genStore{n: n, status: status}, discardLogger())
	if err := p.Load(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return p
}

// failedIf fails the keys for which out(i) is true, for an hour.
func failedIf(out func(i int) bool) func(int, *models.Key) {
	until := time.Now().Add(time.Hour)
	return func(i int, r *models.Key) {
		if out(i) {
			r.Status, r.FailedUntil = models.StatusFailed, &until
		}
	}
}

func benchPick(b *testing.B, p *Pool) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Pick("", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPick: 100,000 keys, all available.
func BenchmarkPick(b *testing.B) {
	benchPick(b, benchPool(b, benchKeys, nil))
}

func BenchmarkPickParallel(b *testing.B) {
	p := benchPool(b, benchKeys, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Pick("", nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPickFailed90: 90% of the keys failed, spread out (9 of every
// 10) or in one block (the first 90,000, as after a batch of imported keys
// ran out of credits together).
func BenchmarkPickFailed90(b *testing.B) {
	b.Run("spread", func(b *testing.B) {
		benchPick(b, benchPool(b, benchKeys, failedIf(func(i int) bool { return i%10 != 0 })))
	})
	b.Run("block", func(b *testing.B) {
		benchPick(b, benchPool(b, benchKeys, failedIf(func(i int) bool { return i < benchKeys*9/10 })))
	})
	b.Run("spread_parallel", func(b *testing.B) {
		p := benchPool(b, benchKeys, failedIf(func(i int) bool { return i%10 != 0 }))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := p.Pick("", nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkPickExpiring: every key has an expires_at, so each Pick reads
// the clock.
func BenchmarkPickExpiring(b *testing.B) {
	exp := time.Now().Add(24 * time.Hour)
	benchPick(b, benchPool(b, benchKeys, func(_ int, r *models.Key) { r.ExpiresAt = &exp }))
}

// BenchmarkPickRetry: the third attempt of a request, two keys tried.
func BenchmarkPickRetry(b *testing.B) {
	p := benchPool(b, benchKeys, nil)
	k1, _ := p.Pick("", nil)
	k2, _ := p.Pick("", nil)
	tried := []*Key{k1, k2}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Pick("", tried); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMark: a success and a transient failure on the same key.
func BenchmarkMark(b *testing.B) {
	p := benchPool(b, benchKeys, nil)
	k, _ := p.Pick("", nil)
	b.ReportAllocs()
	for b.Loop() {
		p.Mark(k, Success, time.Time{})
	}
}

func BenchmarkLoad(b *testing.B) {
	p := New(Config{}, genStore{n: benchKeys}, discardLogger())
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Load(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPickAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 100,000 keys")
	}
	exp := time.Now().Add(time.Hour)
	p := benchPool(t, benchKeys, func(i int, r *models.Key) {
		switch i % 4 {
		case 1:
			until := time.Now().Add(time.Hour)
			r.Status, r.FailedUntil = models.StatusFailed, &until
		case 2:
			r.ExpiresAt = &exp
		}
	})
	k1, _ := p.Pick("", nil)
	k2, _ := p.Pick("", nil)
	for _, tried := range [][]*Key{nil, {k1, k2}} {
		if n := testing.AllocsPerRun(1000, func() {
			if _, err := p.Pick("", tried); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("Pick with %d tried allocates %v times per call, want 0", len(tried), n)
		}
	}
	empty := New(Config{}, genStore{}, discardLogger())
	if n := testing.AllocsPerRun(100, func() { _, _ = empty.Pick("", nil) }); n != 0 {
		t.Errorf("Pick on an empty pool allocates %v times per call, want 0", n)
	}
}

// TestMemory100k loads 100,000 keys and reports the heap they keep (key
// strings included). It fails past 512 bytes a key, a loose ceiling that
// catches a per-key leak of a copy or a map.
func TestMemory100k(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 100,000 keys")
	}
	before := heapAfterGC()
	p := benchPool(t, benchKeys, nil)
	after := heapAfterGC()
	runtime.KeepAlive(p)
	alloc := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	inuse := float64(after.HeapInuse) - float64(before.HeapInuse)
	t.Logf("100,000 keys: heap alloc %.1f MiB (%.0f B/key), heap in use %.1f MiB (%.0f B/key)",
		alloc/(1<<20), alloc/benchKeys, inuse/(1<<20), inuse/benchKeys)
	if per := alloc / benchKeys; per > 512 {
		t.Errorf("%.0f bytes of heap per key, want at most 512", per)
	}
}

func heapAfterGC() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// BenchmarkPickRPM: every key has a requests-per-minute limit it never
// reaches, so each Pick reads the clock and counts.
func BenchmarkPickRPM(b *testing.B) {
	rpm := 1 << 30
	benchPick(b, benchPool(b, benchKeys, func(_ int, r *models.Key) { r.RPMLimit = &rpm }))
}

// BenchmarkAdd: an import of 5 keys into a pool of 100,000, to compare with
// BenchmarkLoad (what an import cost before: the whole table read back).
// Each round adds to the same 100,000, so the 5 are new every time;
// "fingerprinted" is a pool that heard from another instance, whose
// fingerprint index Add carries on.
func BenchmarkAdd(b *testing.B) {
	created := time.Now()
	rows := make([]models.Key, 5)
	for i := range rows {
		rows[i] = models.Key{APIKey: fmt.Sprintf("sk-or-v1-new-%059x", i), Status: models.StatusActive, CreatedAt: created}
	}
	for _, fingerprinted := range []bool{false, true} {
		name := "5_into_100k"
		if fingerprinted {
			name += "_fingerprinted"
		}
		b.Run(name, func(b *testing.B) {
			p := benchPool(b, benchKeys, nil)
			if fingerprinted {
				p.snap.Load().byFingerprint()
			}
			base := p.snap.Load()
			b.ReportAllocs()
			for b.Loop() {
				p.snap.Store(base)
				p.Add(rows)
			}
		})
	}
}

// BenchmarkRemove: a delete of 5 keys from a pool of 100,000.
func BenchmarkRemove(b *testing.B) {
	p := benchPool(b, benchKeys, nil)
	base := p.snap.Load()
	gone := make([]string, 5)
	for i := range gone {
		gone[i] = base.list[i*benchKeys/5].APIKey()
	}
	b.ReportAllocs()
	for b.Loop() {
		p.snap.Store(base)
		p.Remove(gone...)
	}
}
