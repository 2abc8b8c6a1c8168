package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/migrations"
	"github.com/keypool/keypool/models"
)

func TestInsertKeys(t *testing.T) {
	t.Parallel()
	many := make([]string, 0, 1300)
	for i := range 1200 {
		many = append(many, fmt.Sprintf("k%04d", i))
	}
	many = append(many, many[:100]...) // repeats that land in another batch of 500
	tests := []struct {
		name     string
		stored   []string
		insert   []string
		wantNew  int64
		wantKeys int
	}{
		{name: "empty", insert: nil, wantNew: 0, wantKeys: 0},
		{name: "new keys", insert: []string{"a", "b"}, wantNew: 2, wantKeys: 2},
		{name: "already stored", stored: []string{"a"}, insert: []string{"a", "b"}, wantNew: 1, wantKeys: 2},
		{name: "all stored", stored: []string{"a", "b"}, insert: []string{"b", "a"}, wantNew: 0, wantKeys: 2},
		{name: "duplicate in one batch", insert: []string{"a", "b", "a", "a"}, wantNew: 2, wantKeys: 2},
		{name: "duplicates across batches", stored: []string{"k0000"}, insert: many, wantNew: 1199, wantKeys: 1200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachDialect(t, func(t *testing.T, db *store.DB) {
				s := store.New(db, "ollama_api")
				if len(tt.stored) > 0 {
					mustInsert(t, s, tt.stored...)
				}
				got, err := s.InsertKeys(testContext(t), newKeys(tt.insert...))
				if err != nil {
					t.Fatalf("InsertKeys: %v", err)
				}
				if got != tt.wantNew {
					t.Errorf("InsertKeys = %d new, want %d", got, tt.wantNew)
				}
				keys := mustList(t, s)
				if len(keys) != tt.wantKeys {
					t.Errorf("ListKeys has %d keys, want %d", len(keys), tt.wantKeys)
				}
				for _, k := range keys {
					if k.Status != models.StatusActive {
						t.Errorf("key %s status %q, want %q", k.APIKey, k.Status, models.StatusActive)
					}
				}
			})
		})
	}
}

func TestListKeysRoundTrip(t *testing.T) {
	t.Parallel()
	shanghai := time.FixedZone("UTC+8", 8*3600)
	created := time.Date(2025, 3, 1, 9, 30, 15, 123456000, shanghai)
	expires := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.FixedZone("UTC-5", -5*3600))
	failed := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	disabled := failed.Add(36 * time.Hour)
	want := []models.Key{
		{APIKey: "full", Username: "alice", Status: models.StatusDisabled, CreatedAt: created,
			ExpiresAt: &expires, FailedUntil: &failed, DisabledUntil: &disabled, ConsecutiveFailures: 7},
		{APIKey: "nulls", Username: "", Status: models.StatusExpired, CreatedAt: created.Add(time.Second)},
	}
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		s := store.New(db, "ollama_api")
		if _, err := s.InsertKeys(testContext(t), slices.Clone(want)); err != nil {
			t.Fatal(err)
		}
		got := mustList(t, s)
		if len(got) != len(want) {
			t.Fatalf("ListKeys = %v, want %v", keyNames(got), keyNames(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.APIKey != w.APIKey || g.Username != w.Username || g.Status != w.Status ||
				g.ConsecutiveFailures != w.ConsecutiveFailures {
				t.Errorf("key %d = %+v, want %+v", i, g, w)
			}
			checkTime(t, w.APIKey+".created_at", &g.CreatedAt, &w.CreatedAt)
			checkTime(t, w.APIKey+".expires_at", g.ExpiresAt, w.ExpiresAt)
			checkTime(t, w.APIKey+".failed_until", g.FailedUntil, w.FailedUntil)
			checkTime(t, w.APIKey+".disabled_until", g.DisabledUntil, w.DisabledUntil)
		}
		if db.Dialect == migrations.SQLite {
			// Stored as UTC text, so that SQL comparisons of times hold.
			var raw string
			err := db.Gorm.WithContext(testContext(t)).
				Raw("SELECT CAST(expires_at AS TEXT) FROM ollama_api_keys WHERE api_key = 'full'").Scan(&raw).Error
			if err != nil || !strings.HasSuffix(raw, "+00:00") {
				t.Errorf("stored expires_at = %q, %v; want UTC text", raw, err)
			}
		}
	})
}

// checkTime compares a read time with the written one: the same instant,
// NULL kept NULL, and read back in UTC.
func checkTime(t *testing.T, name string, got, want *time.Time) {
	t.Helper()
	switch {
	case want == nil && got != nil:
		t.Errorf("%s = %v, want NULL", name, *got)
	case want != nil && got == nil:
		t.Errorf("%s = NULL, want %v", name, *want)
	case want != nil && !got.Equal(*want):
		t.Errorf("%s = %v, want %v", name, *got, *want)
	case want != nil && got.Location() != time.UTC:
		t.Errorf("%s read in %v, want UTC", name, got.Location())
	}
}

func TestDeleteKeys(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := testContext(t)
		s := store.New(db, "ollama_api")
		mustInsert(t, s, "a", "b", "c")
		for _, k := range []string{"a", "b", "c"} {
			st := models.KeyStats{APIKey: k, TotalRequests: 3, SuccessCount: 2, FailureCount: 1, SuccessRate: 66.67}
			if err := db.Gorm.WithContext(ctx).Table("ollama_api_key_stats").Create(&st).Error; err != nil {
				t.Fatal(err)
			}
		}

		n, err := s.DeleteKeys(ctx, []string{"a", "missing"})
		if err != nil || n != 1 {
			t.Fatalf("DeleteKeys = %d, %v; want 1, nil", n, err)
		}
		if n, err := s.DeleteKeys(ctx, nil); err != nil || n != 0 {
			t.Errorf("DeleteKeys(nil) = %d, %v; want 0, nil", n, err)
		}
		if got := keyNames(mustList(t, s)); !slices.Equal(got, []string{"b", "c"}) {
			t.Errorf("keys after delete = %v, want [b c]", got)
		}
		if n := count(t, db, "ollama_api_key_stats", "api_key = ?", "a"); n != 0 {
			t.Errorf("stats of deleted key a: %d rows left", n)
		}

		// The foreign key itself cascades (SQLite needs foreign_keys on).
		if err := db.Gorm.WithContext(ctx).Exec("DELETE FROM ollama_api_keys WHERE api_key = ?", "b").Error; err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "ollama_api_key_stats", ""); n != 1 {
			t.Errorf("key_stats rows after raw delete = %d, want 1 (c)", n)
		}
	})
}

func TestSaveKeyStates(t *testing.T) {
	t.Parallel()
	until := time.Date(2030, 5, 6, 7, 8, 9, 0, time.FixedZone("UTC+2", 2*3600))
	tests := []struct {
		name string
		save models.Key
	}{
		{"failed", models.Key{APIKey: "a", Status: models.StatusFailed, FailedUntil: &until, ConsecutiveFailures: 3}},
		{"disabled", models.Key{APIKey: "a", Status: models.StatusDisabled, DisabledUntil: &until}},
		{"enabled clears", models.Key{APIKey: "a", Status: models.StatusActive}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachDialect(t, func(t *testing.T, db *store.DB) {
				s := store.New(db, "ollama_api")
				stale := time.Now().Add(time.Hour)
				start := models.Key{APIKey: "a", Username: "u", Status: models.StatusFailed,
					FailedUntil: &stale, DisabledUntil: &stale, ConsecutiveFailures: 9}
				if _, err := s.InsertKeys(testContext(t), []models.Key{start, {APIKey: "b"}}); err != nil {
					t.Fatal(err)
				}
				// "gone" was deleted meanwhile: skipped without error.
				err := s.SaveKeyStates(testContext(t), []models.Key{tt.save, {APIKey: "gone", Status: models.StatusFailed}})
				if err != nil {
					t.Fatalf("SaveKeyStates: %v", err)
				}
				keys := mustList(t, s)
				if len(keys) != 2 {
					t.Fatalf("keys = %v, want [a b]", keyNames(keys))
				}
				got := keys[0]
				if got.Status != tt.save.Status || got.ConsecutiveFailures != tt.save.ConsecutiveFailures || got.Username != "u" {
					t.Errorf("saved key = %+v, want state of %+v and username u", got, tt.save)
				}
				checkTime(t, "failed_until", got.FailedUntil, tt.save.FailedUntil)
				checkTime(t, "disabled_until", got.DisabledUntil, tt.save.DisabledUntil)
				if keys[1].Status != models.StatusActive {
					t.Errorf("untouched key b status %q", keys[1].Status)
				}
			})
		})
	}
}
