package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/migrations"
	"github.com/keypool/keypool/models"
)

// TestPgBouncer runs migrations and concurrent store work through PgBouncer
// in transaction mode, as with a Supabase pooler URL: with ?pgbouncer=true
// nothing may be prepared on the server; without it, the same work breaks.
func TestPgBouncer(t *testing.T) {
	t.Parallel()
	upstream, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	bouncer := startPgBouncer(t, findPgBouncer(t), upstream)

	// throughBouncer returns a fresh database's URL pointing at PgBouncer,
	// with ?pgbouncer=flag when flag is not empty.
	throughBouncer := func(t *testing.T, flag string) (direct, pooled string) {
		direct, _ = storetest.URL(t, migrations.Postgres)
		u, err := url.Parse(direct)
		if err != nil {
			t.Fatal(err)
		}
		u.Host = bouncer
		q := u.Query()
		q.Set("sslmode", "disable")
		if flag != "" {
			q.Set("pgbouncer", flag)
		}
		u.RawQuery = q.Encode()
		return direct, u.String()
	}

	t.Run("pgbouncer=true", func(t *testing.T) {
		t.Parallel()
		_, pooled := throughBouncer(t, "true")
		db := open(t, pooled)
		ctx := testContext(t)
		if _, err := migrations.Up(ctx, db.SQL, db.Dialect, []string{"ollama_api", "openrouter_api"}); err != nil {
			t.Fatalf("migrate through pgbouncer: %v", err)
		}
		if err := exercise(ctx, db); err != nil {
			t.Fatalf("store through pgbouncer: %v", err)
		}
		keys := mustList(t, store.New(db, "ollama_api"))
		if len(keys) != 1+workers*(perWorker-1) {
			t.Errorf("ListKeys = %d keys, want %d", len(keys), 1+workers*(perWorker-1))
		}
	})

	// Proves the test above can fail: the same work with pgx's default
	// statement cache hits statements prepared on another server connection.
	t.Run("plain URL breaks", func(t *testing.T) {
		t.Parallel()
		direct, pooled := throughBouncer(t, "")
		migrated := open(t, direct)
		if _, err := migrations.Up(testContext(t), migrated.SQL, migrated.Dialect, []string{"ollama_api"}); err != nil {
			t.Fatal(err)
		}
		err := exercise(testContext(t), open(t, pooled))
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "26000" && pgErr.Code != "42P05") {
			t.Fatalf("exercise without ?pgbouncer=true = %v; want a prepared statement error (SQLSTATE 26000 or 42P05)", err)
		}
		t.Logf("as expected: %v", pgErr)
	})
}

// open opens databaseURL, closed when the test ends.
func open(t *testing.T, databaseURL string) *store.DB {
	t.Helper()
	db, err := store.Open(testContext(t), databaseURL, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

const (
	workers   = 20
	perWorker = 10
	rounds    = 5
)

// exercise runs the store's key and token calls from many goroutines at
// once and returns the errors met.
func exercise(ctx context.Context, db *store.DB) error {
	s := store.New(db, "ollama_api")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w := range workers {
		wg.Go(func() {
			names := []string{"shared"}
			for i := range perWorker - 1 {
				names = append(names, fmt.Sprintf("w%02d-k%d", w, i))
			}
			for r := range rounds {
				if err := round(ctx, s, w, r, names); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// round is one worker's pass: insert, list, save states, token churn.
func round(ctx context.Context, s *store.Store, w, r int, names []string) error {
	if _, err := s.InsertKeys(ctx, newKeys(names...)); err != nil {
		return err
	}
	if _, err := s.ListKeys(ctx); err != nil {
		return err
	}
	until := time.Now().Add(time.Minute)
	states := []models.Key{{APIKey: names[1], Status: models.StatusFailed, FailedUntil: &until, ConsecutiveFailures: r}}
	if err := s.SaveKeyStates(ctx, states); err != nil {
		return err
	}
	token := models.ClientToken{Token: fmt.Sprintf("sha256:w%d-r%d", w, r), Name: "pgbouncer"}
	if err := s.CreateToken(ctx, token); err != nil {
		return err
	}
	if _, err := s.ListTokens(ctx); err != nil {
		return err
	}
	return s.DeleteToken(ctx, token.Token)
}
