package store_test

import (
	"slices"
	"testing"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/migrations"
)

// A search matches its term literally (LIKE's % _ \ included), and the
// page planned for a counted search (Matching) is the page of the plain
// plan.
func TestKeySearch(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		s, ctx := pageFixture(t, db), testContext(t)
		mustInsert(t, s, "k6-100%", "k7-a_b", `k8-back\slash`, "k9-axb")
		for _, tt := range []struct {
			term string
			want []string
		}{
			{"%", []string{"k6-100%"}}, {"a_b", []string{"k7-a_b"}}, {`\s`, []string{`k8-back\slash`}},
			{"abc", []string{"k3-abc", "k1-abc"}}, {"alice", []string{"k5-def", "k1-abc"}}, {"nothing", []string{}},
		} {
			for _, matching := range []int64{0, int64(len(tt.want))} {
				q := store.KeyQuery{Search: tt.term, Desc: true, Limit: 10, Matching: matching}
				rows, err := s.KeyPage(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				got := []string{}
				for _, r := range rows {
					got = append(got, r.APIKey)
				}
				if n, err := s.CountKeys(ctx, q); !slices.Equal(got, tt.want) || err != nil || n != int64(len(tt.want)) {
					t.Errorf("search %q (matching %d): %v, count %d %v; want %v", tt.term, matching, got, n, err, tt.want)
				}
			}
		}
		if db.Dialect != migrations.Postgres {
			return
		}
		var n int64
		if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_indexes WHERE indexname IN
			('ollama_api_keys_key_trgm_idx', 'ollama_api_keys_username_trgm_idx')`).Scan(&n); err != nil || n != 2 {
			t.Errorf("trigram indexes: %d, %v; want 2", n, err)
		}
	})
}
