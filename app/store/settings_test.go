package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/migrations"
)

func TestProviderEnabled(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := testContext(t)
		ollama, openrouter := store.New(db, "ollama_api"), store.New(db, "openrouter_api")
		steps := []struct {
			set        *bool
			wantOllama bool
		}{
			{nil, true}, // nothing stored: on
			{ptr(false), false},
			{ptr(false), false}, // idempotent
			{ptr(true), true},
			{ptr(false), false},
		}
		for i, st := range steps {
			if st.set != nil {
				if err := ollama.SetProviderEnabled(ctx, *st.set); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			if on, err := ollama.ProviderEnabled(ctx); err != nil || on != st.wantOllama {
				t.Errorf("step %d: ollama enabled = %v, %v; want %v", i, on, err, st.wantOllama)
			}
			// The other provider's switch is its own.
			if on, err := openrouter.ProviderEnabled(ctx); err != nil || !on {
				t.Errorf("step %d: openrouter enabled = %v, %v; want true", i, on, err)
			}
		}
		if err := ollama.PutSetting(ctx, "enabled", "maybe"); err != nil {
			t.Fatal(err)
		}
		if on, err := ollama.ProviderEnabled(ctx); err == nil || !on {
			t.Errorf("unreadable switch = %v, %v; want on and an error", on, err)
		}
		if v, ok, err := ollama.Setting(ctx, "absent"); v != "" || ok || err != nil {
			t.Errorf("Setting(absent) = %q, %v, %v", v, ok, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// The first SettingOnce wins, also when instances race to write it.
func TestSettingOnce(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := testContext(t)
		s := store.New(db, "ollama_api")
		got := make([]string, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() { got[i], errs[i] = s.SettingOnce(ctx, "cluster_id", fmt.Sprint("id-", i)) })
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || got[i] != got[0] {
				t.Fatalf("caller %d got %q, %v; caller 0 got %q", i, got[i], errs[i], got[0])
			}
		}
		if v, err := s.SettingOnce(ctx, "cluster_id", "later"); err != nil || v != got[0] {
			t.Errorf("a later SettingOnce = %q, %v; want %q", v, err, got[0])
		}
	})
}

// Notify reaches a Listen on PostgreSQL; SQLite and PgBouncer URLs cannot listen.
func TestNotifyListen(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := testContext(t)
		if db.Dialect == migrations.SQLite {
			if db.CanListen() {
				t.Fatal("SQLite claims it can listen")
			}
			if _, err := db.Listen(ctx, "c"); !errors.Is(err, store.ErrNoListen) {
				t.Errorf("Listen on SQLite: %v", err)
			}
			return
		}
		l, err := db.Listen(ctx, "keypool test")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if err := db.Notify(ctx, "keypool test", `{"hello":1}`); err != nil {
			t.Fatal(err)
		}
		waitCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if p, err := l.Next(waitCtx); err != nil || p != `{"hello":1}` {
			t.Errorf("Next = %q, %v", p, err)
		}
	})
}
