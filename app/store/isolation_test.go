package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// TestProviderIsolation checks that one provider's store never reads or
// writes another's tables, even for the same key or token string.
func TestProviderIsolation(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := testContext(t)
		ollama := store.New(db, "ollama_api")
		openrouter := store.New(db, "openrouter_api")
		stores := map[string]*store.Store{"ollama_api": ollama, "openrouter_api": openrouter}

		for prefix, s := range stores {
			n, err := s.InsertKeys(ctx, newKeys("shared-key", "only-"+prefix))
			if err != nil || n != 2 {
				t.Fatalf("%s InsertKeys = %d, %v; want 2 new", prefix, n, err)
			}
			tok := models.ClientToken{Token: "sha256:shared", Name: prefix, CreatedAt: time.Now()}
			if err := s.CreateToken(ctx, tok); err != nil {
				t.Fatalf("%s CreateToken: %v", prefix, err)
			}
		}
		for prefix, s := range stores {
			got := keyNames(mustList(t, s))
			slices.Sort(got)
			if want := []string{"only-" + prefix, "shared-key"}; !slices.Equal(got, want) {
				t.Errorf("%s keys = %v, want %v", prefix, got, want)
			}
		}

		// Delete and change state through one provider only.
		if n, err := ollama.DeleteKeys(ctx, []string{"shared-key", "only-openrouter_api"}); err != nil || n != 1 {
			t.Errorf("ollama DeleteKeys = %d, %v; want 1 (the other provider's key is not its own)", n, err)
		}
		if err := ollama.SaveKeyStates(ctx, []models.Key{{APIKey: "only-openrouter_api", Status: models.StatusFailed}}); err != nil {
			t.Fatal(err)
		}
		if err := ollama.DeleteToken(ctx, "sha256:shared"); err != nil {
			t.Fatalf("ollama DeleteToken: %v", err)
		}
		if err := ollama.DeleteToken(ctx, "sha256:shared"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second ollama DeleteToken = %v, want ErrNotFound", err)
		}

		if got := keyNames(mustList(t, ollama)); !slices.Equal(got, []string{"only-ollama_api"}) {
			t.Errorf("ollama keys = %v, want [only-ollama_api]", got)
		}
		rest := mustList(t, openrouter)
		if got := keyNames(rest); len(got) != 2 || !slices.Contains(got, "shared-key") {
			t.Errorf("openrouter keys = %v, want shared-key kept", got)
		}
		for _, k := range rest {
			if k.Status != models.StatusActive {
				t.Errorf("openrouter key %s status %q, changed through ollama", k.APIKey, k.Status)
			}
		}
		tokens, err := openrouter.ListTokens(ctx)
		if err != nil || len(tokens) != 1 || tokens[0].Name != "openrouter_api" {
			t.Errorf("openrouter tokens = %+v, %v; want its own shared token kept", tokens, err)
		}
		if n := count(t, db, "openrouter_api_keys", ""); n != 2 {
			t.Errorf("openrouter_api_keys has %d rows, want 2", n)
		}
	})
}
