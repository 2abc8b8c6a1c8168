package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// pageFixture stores five keys a second apart (k1 oldest) with varied
// statuses, users and usage.
func pageFixture(t *testing.T, db *store.DB) *store.Store {
	t.Helper()
	s, ctx := store.New(db, "ollama_api"), testContext(t)
	start := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	specs := []struct{ key, user, status string }{
		{"k1-abc", "Alice@example.com", models.StatusActive},
		{"k2-xyz", "bob", models.StatusFailed},
		{"k3-abc", "", models.StatusActive},
		{"k4-def", "carol", models.StatusDisabled},
		{"k5-def", "alice2", models.StatusActive},
	}
	keys := make([]models.Key, len(specs))
	for i, sp := range specs {
		keys[i] = models.Key{APIKey: sp.key, Username: sp.user, Status: sp.status, CreatedAt: start.Add(time.Duration(i) * time.Second)}
	}
	if _, err := s.InsertKeys(ctx, keys); err != nil {
		t.Fatal(err)
	}
	used := start.Add(time.Hour)
	for i, st := range []models.KeyStats{
		{APIKey: "k3-abc", TotalRequests: 10, SuccessCount: 9, FailureCount: 1, LastUsed: &used},
		{APIKey: "k1-abc", TotalRequests: 3, SuccessCount: 1, FailureCount: 2},
	} {
		if i == 1 {
			earlier := used.Add(-time.Minute)
			st.LastUsed = &earlier
		}
		if err := db.Gorm.WithContext(ctx).Table("ollama_api_key_stats").Create(&st).Error; err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestKeyPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		q     store.KeyQuery
		want  []string
		total int64
	}{
		{"newest first", store.KeyQuery{Desc: true, Limit: 2}, []string{"k5-def", "k4-def"}, 5},
		{"second page", store.KeyQuery{Desc: true, Limit: 2, Offset: 2}, []string{"k3-abc", "k2-xyz"}, 5},
		{"oldest first", store.KeyQuery{Sort: "created_at", Limit: 10}, []string{"k1-abc", "k2-xyz", "k3-abc", "k4-def", "k5-def"}, 5},
		{"status filter", store.KeyQuery{Status: models.StatusActive, Desc: true, Limit: 10}, []string{"k5-def", "k3-abc", "k1-abc"}, 3},
		{"status none", store.KeyQuery{Status: models.StatusExpired, Limit: 10}, []string{}, 0},
		{"search key", store.KeyQuery{Search: "abc", Limit: 10}, []string{"k1-abc", "k3-abc"}, 2},
		{"search key is case-sensitive", store.KeyQuery{Search: "ABC", Limit: 10}, []string{}, 0},
		{"search user any case", store.KeyQuery{Search: "ALICE", Limit: 10}, []string{"k1-abc", "k5-def"}, 2},
		{"search with LIKE characters", store.KeyQuery{Search: "%", Limit: 10}, []string{}, 0},
		{"search and status", store.KeyQuery{Search: "def", Status: models.StatusDisabled, Limit: 10}, []string{"k4-def"}, 1},
		{"by requests", store.KeyQuery{Sort: "requests", Desc: true, Limit: 3}, []string{"k3-abc", "k1-abc", "k5-def"}, 5},
		{"by last used", store.KeyQuery{Sort: "last_used", Desc: true, Limit: 3}, []string{"k3-abc", "k1-abc", "k5-def"}, 5},
		{"by last used, never used first", store.KeyQuery{Sort: "last_used", Limit: 2}, []string{"k2-xyz", "k4-def"}, 5},
		{"by status", store.KeyQuery{Sort: "status", Limit: 10}, []string{"k1-abc", "k3-abc", "k5-def", "k4-def", "k2-xyz"}, 5},
	}
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		s := pageFixture(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rows, err := s.KeyPage(testContext(t), tt.q)
				if err != nil {
					t.Fatal(err)
				}
				total, err := s.CountKeys(testContext(t), tt.q)
				if err != nil {
					t.Fatal(err)
				}
				got := make([]string, len(rows))
				for i, r := range rows {
					got[i] = r.APIKey
				}
				if !slices.Equal(got, tt.want) || total != tt.total {
					t.Errorf("KeyPage = %v (total %d), want %v (total %d)", got, total, tt.want, tt.total)
				}
				order, err := s.KeyOrder(testContext(t), store.KeyQuery{Status: tt.q.Status, Search: tt.q.Search, Sort: tt.q.Sort, Desc: tt.q.Desc})
				if err != nil || int64(len(order)) != tt.total || !slices.Equal(order[tt.q.Offset:tt.q.Offset+len(got)], got) {
					t.Errorf("KeyOrder = %v, %v; want the page %v in place", order, err, got)
				}
			})
		}
		if _, err := s.KeyPage(testContext(t), store.KeyQuery{Sort: "bogus"}); err == nil {
			t.Error("KeyPage with an unknown sort: no error")
		}
	})
}

func TestKeyRow(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		s, ctx := pageFixture(t, db), testContext(t)
		r, err := s.KeyRow(ctx, "k3-abc")
		if err != nil {
			t.Fatal(err)
		}
		if r.TotalRequests != 10 || r.SuccessCount != 9 || r.FailureCount != 1 || r.SuccessRate != 90 ||
			r.LastUsed == nil || r.Status != models.StatusActive || r.CreatedAt.IsZero() || r.CreatedAt.Location() != time.UTC {
			t.Errorf("KeyRow(k3-abc) = %+v", r)
		}
		if r, err := s.KeyRow(ctx, "k2-xyz"); err != nil || r.TotalRequests != 0 || r.LastUsed != nil || r.Username != "bob" {
			t.Errorf("KeyRow(unused k2-xyz) = %+v, %v", r, err)
		}
		if _, err := s.KeyRow(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("KeyRow(missing) err = %v, want ErrNotFound", err)
		}
		if rows, err := s.KeyRows(ctx, []string{"k1-abc", "k5-def", "missing"}); err != nil || len(rows) != 2 {
			t.Errorf("KeyRows = %+v, %v; want 2 rows", rows, err)
		}
	})
}

func TestCreateKeyAndNames(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		s, ctx := store.New(db, "ollama_api"), testContext(t)
		expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.FixedZone("UTC+8", 8*3600))
		if err := s.CreateKey(ctx, models.Key{APIKey: "one", Username: "u", ExpiresAt: &expires, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateKey(ctx, models.Key{APIKey: "one"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second CreateKey err = %v, want ErrConflict", err)
		}
		mustInsert(t, s, "two")
		names, err := s.KeyNames(ctx)
		slices.Sort(names)
		if err != nil || !slices.Equal(names, []string{"one", "two"}) {
			t.Errorf("KeyNames = %v, %v", names, err)
		}
		got := mustList(t, s)[0]
		if got.Status != models.StatusActive {
			t.Errorf("created key status %q", got.Status)
		}
		checkTime(t, "expires_at", got.ExpiresAt, &expires)
	})
}
