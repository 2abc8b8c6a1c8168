package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/models"
)

// forEachDialect runs fn in a parallel subtest per dialect, each on its own
// fresh migrated database.
func forEachDialect(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			fn(t, storetest.Open(t, dialect))
		})
	}
}

// testContext bounds one test's database work.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// keyNames returns the api_key of each key, in order.
func keyNames(keys []models.Key) []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.APIKey
	}
	return names
}

// newKeys builds active keys with the given names.
func newKeys(names ...string) []models.Key {
	keys := make([]models.Key, len(names))
	for i, n := range names {
		keys[i] = models.Key{APIKey: n, Username: "user-" + n}
	}
	return keys
}

// mustInsert stores keys or fails the test.
func mustInsert(t *testing.T, s *store.Store, names ...string) {
	t.Helper()
	if _, err := s.InsertKeys(testContext(t), newKeys(names...)); err != nil {
		t.Fatal(err)
	}
}

// mustList lists the keys or fails the test.
func mustList(t *testing.T, s *store.Store) []models.Key {
	t.Helper()
	keys, err := s.ListKeys(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// count returns the number of rows of table matching where.
func count(t *testing.T, db *store.DB, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	q := db.Gorm.WithContext(testContext(t)).Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}
