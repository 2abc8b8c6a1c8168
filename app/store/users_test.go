package store_test

import (
	"slices"
	"testing"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/migrations"
)

// DeactivatedTokens reads the original project's users where the table
// exists (PostgreSQL), and none where it does not: a fresh Keypool
// database of either dialect, or a users table without the two columns.
func TestDeactivatedTokens(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := testContext(t)
		s := store.New(db, "ollama_api")
		if got, err := s.DeactivatedTokens(ctx); err != nil || len(got) != 0 {
			t.Fatalf("no users table: DeactivatedTokens = %v, %v; want none", got, err)
		}
		if db.Dialect != migrations.Postgres {
			return
		}
		if err := db.Gorm.Exec(`CREATE TABLE ollama_api_users (id BIGSERIAL PRIMARY KEY, email TEXT)`).Error; err != nil {
			t.Fatal(err)
		}
		if got, err := s.DeactivatedTokens(ctx); err != nil || len(got) != 0 {
			t.Fatalf("users without is_active/key_token: DeactivatedTokens = %v, %v; want none", got, err)
		}
		for _, q := range []string{
			`ALTER TABLE ollama_api_users ADD COLUMN is_active BOOLEAN DEFAULT true, ADD COLUMN key_token TEXT`,
			`INSERT INTO ollama_api_users (email, is_active, key_token) VALUES
				('a@x', false, 'banned-1'), ('b@x', true, 'active-1'), ('c@x', false, NULL),
				('d@x', false, ''), ('e@x', NULL, 'null-active'), ('f@x', false, 'banned-2')`,
		} {
			if err := db.Gorm.Exec(q).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, prefix := range []string{"ollama_api", "openrouter_api"} { // the users are global
			got, err := store.New(db, prefix).DeactivatedTokens(ctx)
			slices.Sort(got)
			if err != nil || !slices.Equal(got, []string{"banned-1", "banned-2"}) {
				t.Errorf("%s: DeactivatedTokens = %v, %v; want banned-1, banned-2", prefix, got, err)
			}
		}
	})
}
