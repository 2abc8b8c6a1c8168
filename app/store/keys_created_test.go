package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// ListKeysCreated finds keys by the created_at they were inserted with, to
// the nanosecond, although PostgreSQL keeps only microseconds.
func TestListKeysCreated(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	rows := []models.Key{
		{APIKey: "old", CreatedAt: at.Add(-time.Hour)},
		{APIKey: "b", CreatedAt: at},
		{APIKey: "a", CreatedAt: at},
		{APIKey: "later", CreatedAt: at.Add(time.Second)},
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"one import", at, at, []string{"a", "b"}},
		{"the same instant in UTC", at.UTC(), at.UTC(), []string{"a", "b"}},
		{"a span", at.Add(-time.Hour), at, []string{"old", "a", "b"}},
		{"the last one", at.Add(time.Second), at.Add(time.Second), []string{"later"}},
		{"nothing then", at.Add(time.Hour), at.Add(2 * time.Hour), []string{}},
		{"bounds reversed", at.Add(time.Second), at.Add(-time.Hour), []string{}},
	}
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		s := store.New(db, "ollama_api")
		if _, err := s.InsertKeys(testContext(t), rows); err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			got, err := s.ListKeysCreated(testContext(t), tt.from, tt.to)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if names := keyNames(got); !slices.Equal(names, tt.want) {
				t.Errorf("%s: got %q, want %q", tt.name, names, tt.want)
			}
			for _, k := range got {
				if k.CreatedAt.Location() != time.UTC || k.Status != models.StatusActive {
					t.Errorf("%s: %s read back as %v, status %q; want UTC, active", tt.name, k.APIKey, k.CreatedAt, k.Status)
				}
			}
		}
	})
}
