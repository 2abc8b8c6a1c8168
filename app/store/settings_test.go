package store_test

import (
	"testing"

	"github.com/keypool/keypool/app/store"
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
