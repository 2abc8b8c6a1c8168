package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/redistest"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/app/tokens"
	"github.com/keypool/keypool/migrations"
	"github.com/keypool/keypool/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// instance is one gateway's worth of what the cluster touches.
type instance struct {
	cl       *Cluster
	pool     *pool.Pool
	tokens   *tokens.Set
	switched atomic.Int64 // LoadSwitch calls
	cleared  atomic.Int64 // ClearCache calls
	reads    *countingStore
}

// countingStore counts the key reads of an instance's pool.
type countingStore struct {
	*store.Store
	lists       atomic.Int64 // ListKeys calls: the whole table
	createdRows atomic.Int64 // rows ListKeysCreated returned
}

func (s *countingStore) ListKeys(ctx context.Context) ([]models.Key, error) {
	s.lists.Add(1)
	return s.Store.ListKeys(ctx)
}

func (s *countingStore) ListKeysCreated(ctx context.Context, from, to time.Time) ([]models.Key, error) {
	rows, err := s.Store.ListKeysCreated(ctx, from, to)
	s.createdRows.Add(int64(len(rows)))
	return rows, err
}

// busMaker returns a new bus per instance, all on one channel.
type busMaker func(t *testing.T, db *store.DB) func() Bus

func redisBuses(url string) busMaker {
	return func(t *testing.T, db *store.DB) func() Bus {
		channel := "keypool:test:" + newID()
		return func() Bus {
			opt, err := redis.ParseURL(url)
			if err != nil {
				t.Fatal(err)
			}
			rdb := redis.NewClient(opt)
			t.Cleanup(func() { rdb.Close() })
			return NewRedisBus(rdb, channel)
		}
	}
}

func postgresBuses(t *testing.T, db *store.DB) func() Bus {
	channel := "keypool_test_" + newID()
	return func() Bus { return NewPostgresBus(db, channel, slog.New(slog.NewTextHandler(t.Output(), nil))) }
}

// start runs one instance on st until the test ends.
func start(t *testing.T, st *store.Store, bus Bus, resync time.Duration) *instance {
	t.Helper()
	in := &instance{cl: New(Config{Bus: bus, Resync: resync, Log: slog.New(slog.NewTextHandler(t.Output(), nil))})}
	in.reads = &countingStore{Store: st}
	in.pool = pool.New(pool.Config{Announce: in.cl.Announcer("ollama"), AnnounceKeys: in.cl.KeysAnnouncer("ollama")},
		in.reads, slog.New(slog.DiscardHandler))
	in.tokens = tokens.New(st)
	ctx, cancel := context.WithCancel(context.Background())
	if err := in.pool.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := in.tokens.Load(ctx); err != nil {
		t.Fatal(err)
	}
	in.cl.Add("ollama", Provider{Pool: in.pool, Tokens: in.tokens,
		LoadSwitch: func(context.Context) error { in.switched.Add(1); return nil },
		ClearCache: func(context.Context) error { in.cleared.Add(1); return nil }})
	var wg sync.WaitGroup
	wg.Go(func() { in.cl.Run(ctx) })
	wg.Go(func() { _ = in.pool.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return in
}

// picks lists the keys a pool hands out now.
func picks(p *pool.Pool) []string {
	var tried []*pool.Key
	var names []string
	for {
		k, err := p.Pick("", tried)
		if err != nil {
			slices.Sort(names)
			return names
		}
		tried = append(tried, k)
		names = append(names, k.APIKey())
	}
}

func within(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func keyRows(names ...string) []models.Key {
	rows := make([]models.Key, len(names))
	for i, n := range names {
		rows[i] = models.Key{APIKey: n, Status: models.StatusActive, CreatedAt: time.Now().UTC()}
	}
	return rows
}

// Two instances on one PostgreSQL database and one bus: what one decides or
// changes, the other applies within 2 s, on either bus.
func TestTwoInstancesStayInStep(t *testing.T) {
	t.Parallel()
	buses := []struct {
		name string
		make busMaker
	}{
		{"redis", redisBuses(redistest.URL(t))},
		{"postgres", postgresBuses},
	}
	for _, bc := range buses {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, migrations.Postgres)
			st := store.New(db, "ollama_api")
			if _, err := st.InsertKeys(ctx, keyRows("sk-a", "sk-b", "sk-c")); err != nil {
				t.Fatal(err)
			}
			newBus := bc.make(t, db)
			a, b := start(t, st, newBus(), 0), start(t, st, newBus(), 0)
			within(t, 5*time.Second, "both subscribed", func() bool { return a.cl.Status().Listening && b.cl.Status().Listening })

			steps := []struct {
				name string
				act  func()
				done func() bool
			}{
				{"a key failed on a is skipped by b", func() {
					k, _ := a.pool.Get("sk-a")
					a.pool.Mark(k, pool.Invalid, time.Time{})
				}, func() bool { return slices.Equal(picks(b.pool), []string{"sk-b", "sk-c"}) }},
				{"a 429 cooldown on a is respected by b", func() {
					k, _ := a.pool.Get("sk-b")
					a.pool.Mark(k, pool.RateLimited, time.Now().Add(time.Minute))
				}, func() bool { return slices.Equal(picks(b.pool), []string{"sk-c"}) }},
				{"an admin's enable on b is applied by a", func() {
					_ = b.pool.Enable("sk-a")
					_ = b.pool.Enable("sk-b")
				}, func() bool { return slices.Equal(picks(a.pool), []string{"sk-a", "sk-b", "sk-c"}) }},
				{"a disable on b is applied by a", func() { _ = b.pool.Disable("sk-c", 0) },
					func() bool { return slices.Equal(picks(a.pool), []string{"sk-a", "sk-b"}) }},
				{"an import on a reaches b", func() {
					if _, err := st.InsertKeys(ctx, keyRows("sk-d")); err != nil {
						t.Fatal(err)
					}
					if err := a.pool.Load(ctx); err != nil { // as the admin API does
						t.Fatal(err)
					}
					a.cl.Changed("ollama", Keys)
				}, func() bool { return slices.Contains(picks(b.pool), "sk-d") }},
				{"a deletion on b reaches a", func() {
					if _, err := st.DeleteKeys(ctx, []string{"sk-d"}); err != nil {
						t.Fatal(err)
					}
					b.pool.Remove("sk-d")
					b.cl.Changed("ollama", Keys)
				}, func() bool { return a.pool.Len() == 3 }},
				{"a new token on a is accepted by b", func() {
					if err := st.CreateToken(ctx, models.ClientToken{Token: tokens.Digest("sk-client-1"), Name: "c1", CreatedAt: time.Now().UTC()}); err != nil {
						t.Fatal(err)
					}
					a.cl.Changed("ollama", Tokens)
				}, func() bool { _, ok := b.tokens.Check("sk-client-1"); return ok }},
				{"a cache clear on a clears b's", func() { a.cl.Changed("ollama", Cache) },
					func() bool { return b.cleared.Load() == 1 }},
			}
			for _, s := range steps {
				s.act()
				took := within(t, 2*time.Second, s.name, s.done)
				t.Logf("%s: %v", s.name, took.Round(time.Millisecond))
			}
			if a.cleared.Load() != 0 {
				t.Errorf("a applied its own cache clear %d times", a.cleared.Load())
			}
		})
	}
}

// Many verdicts at once travel in several messages, none over PostgreSQL's
// 8,000-byte payload limit.
func TestManyVerdictsOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t, migrations.Postgres)
	st := store.New(db, "ollama_api")
	names := make([]string, 300)
	for i := range names {
		names[i] = fmt.Sprintf("sk-many-%03d-%s", i, "0123456789abcdef0123456789abcdef0123456789abcdef")
	}
	if _, err := st.InsertKeys(ctx, keyRows(names...)); err != nil {
		t.Fatal(err)
	}
	newBus := postgresBuses(t, db)
	a, b := start(t, st, newBus(), 0), start(t, st, newBus(), 0)
	within(t, 5*time.Second, "both subscribed", func() bool {
		a.cl.Changed("ollama", Switch)
		return b.switched.Load() > 0
	})
	until := time.Now().Add(time.Hour)
	for _, n := range names {
		k, _ := a.pool.Get(n)
		a.pool.Mark(k, pool.QuotaExhausted, until)
	}
	within(t, 2*time.Second, "b skips all 300", func() bool { return len(picks(b.pool)) == 0 })
}

// After the bus comes back from an outage an instance reads the store
// again, so what it missed meanwhile is not lost until the periodic resync.
func TestResyncAfterRedisRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t, migrations.Postgres)
	st := store.New(db, "ollama_api")
	if _, err := st.InsertKeys(ctx, keyRows("sk-a")); err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t)
	newBus := redisBuses(srv.URL())(t, db)
	a, b := start(t, st, newBus(), 0), start(t, st, newBus(), 0)
	within(t, 5*time.Second, "both subscribed", func() bool {
		a.cl.Changed("ollama", Switch)
		return b.switched.Load() > 0
	})
	srv.Stop()
	if _, err := st.InsertKeys(ctx, keyRows("sk-missed")); err != nil {
		t.Fatal(err)
	}
	a.cl.Changed("ollama", Keys) // lost: Redis is down
	time.Sleep(300 * time.Millisecond)
	if b.pool.Len() != 1 {
		t.Fatalf("b has %d keys while Redis is down, want 1 (nothing delivered)", b.pool.Len())
	}
	srv.Restart()
	within(t, 10*time.Second, "b reads the store again after Redis is back", func() bool { return b.pool.Len() == 2 })
}

// Without any bus the periodic resync alone brings store changes.
func TestPeriodicResyncWithoutBus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			st := store.New(storetest.Open(t, dialect), "ollama_api")
			b := start(t, st, nil, 100*time.Millisecond)
			if _, err := st.InsertKeys(ctx, keyRows("sk-late")); err != nil {
				t.Fatal(err)
			}
			within(t, 2*time.Second, "the resync loads the new key", func() bool { return b.pool.Len() == 1 })
			within(t, 2*time.Second, "the resync reads the switch", func() bool { return b.switched.Load() > 0 })
		})
	}
}

// A message from an unknown provider, this instance itself, or not JSON at
// all changes nothing.
func TestReceiveIgnores(t *testing.T) {
	t.Parallel()
	st := store.New(storetest.Open(t, migrations.SQLite), "ollama_api")
	in := start(t, st, nil, 0)
	for _, payload := range []string{
		`not json`,
		`{"from":"x","provider":"openrouter","changes":["switch"]}`,
		fmt.Sprintf(`{"from":%q,"provider":"ollama","changes":["switch"]}`, in.cl.id),
	} {
		in.cl.receive(context.Background(), []byte(payload))
	}
	if in.switched.Load() != 0 || in.cl.Received() != 0 {
		t.Errorf("switched %d times, received %d, want nothing", in.switched.Load(), in.cl.Received())
	}
	in.cl.receive(context.Background(), []byte(`{"from":"x","provider":"ollama","changes":["switch"]}`))
	if in.switched.Load() != 1 || in.cl.Received() != 1 {
		t.Errorf("a peer's switch: switched %d, received %d, want 1 and 1", in.switched.Load(), in.cl.Received())
	}
}

// A Redis that is down when the instances start does not stop them: they
// subscribe once it is up, and hear each other from then on.
func TestRedisDownAtStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t, migrations.Postgres)
	st := store.New(db, "ollama_api")
	if _, err := st.InsertKeys(ctx, keyRows("sk-a", "sk-b")); err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t)
	srv.Stop()
	newBus := redisBuses(srv.URL())(t, db)
	a, b := start(t, st, newBus(), 0), start(t, st, newBus(), 0)
	time.Sleep(300 * time.Millisecond)
	if a.cl.Status().Listening || b.cl.Status().Listening {
		t.Fatal("listening while Redis is down")
	}
	srv.Restart()
	within(t, 10*time.Second, "both subscribed once Redis is up", func() bool { return a.cl.Status().Listening && b.cl.Status().Listening })
	k, _ := a.pool.Get("sk-a")
	a.pool.Mark(k, pool.Invalid, time.Time{})
	within(t, 2*time.Second, "b skips the key a failed", func() bool { return slices.Equal(picks(b.pool), []string{"sk-b"}) })
}
