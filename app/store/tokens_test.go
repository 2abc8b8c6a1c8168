package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("UTC+8", 8*3600))
	expires := created.Add(30 * 24 * time.Hour)
	first := models.ClientToken{Token: "sha256:aaa", Name: "laptop", CreatedAt: created, ExpiresAt: &expires, RequestCount: 42}
	second := models.ClientToken{Token: "plain-legacy", Name: "", CreatedAt: created.Add(time.Minute)}

	tests := []struct {
		name    string
		run     func(ctx context.Context, s *store.Store) error
		wantErr error
		want    []string
	}{
		{"create twice", func(ctx context.Context, s *store.Store) error {
			return s.CreateToken(ctx, models.ClientToken{Token: first.Token, Name: "again"})
		}, store.ErrConflict, []string{"sha256:aaa", "plain-legacy"}},
		{"delete", func(ctx context.Context, s *store.Store) error {
			return s.DeleteToken(ctx, first.Token)
		}, nil, []string{"plain-legacy"}},
		{"delete missing", func(ctx context.Context, s *store.Store) error {
			return s.DeleteToken(ctx, "sha256:nope")
		}, store.ErrNotFound, []string{"sha256:aaa", "plain-legacy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachDialect(t, func(t *testing.T, db *store.DB) {
				ctx := testContext(t)
				s := store.New(db, "ollama_api")
				for _, tok := range []models.ClientToken{second, first} {
					if err := s.CreateToken(ctx, tok); err != nil {
						t.Fatalf("CreateToken(%s): %v", tok.Token, err)
					}
				}
				if err := tt.run(ctx, s); !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				got, err := s.ListTokens(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, tok := range got {
					names = append(names, tok.Token)
				}
				if len(names) != len(tt.want) {
					t.Fatalf("tokens = %v, want %v", names, tt.want)
				}
				for i, tok := range got {
					if tok.Token != tt.want[i] {
						t.Fatalf("tokens = %v, want %v (ordered by created_at)", names, tt.want)
					}
					w := first
					if tok.Token == second.Token {
						w = second
					}
					if tok.Name != w.Name || tok.RequestCount != w.RequestCount {
						t.Errorf("token %s = %+v, want %+v", tok.Token, tok, w)
					}
					checkTime(t, tok.Token+".created_at", &tok.CreatedAt, &w.CreatedAt)
					checkTime(t, tok.Token+".expires_at", tok.ExpiresAt, w.ExpiresAt)
				}
			})
		})
	}
}

func TestTokenInfos(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := testContext(t)
		s := store.New(db, "ollama_api")
		created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		rows := []struct {
			tok    models.ClientToken
			prefix string
		}{
			{models.ClientToken{Token: "sha256:bbb", Name: "ci", CreatedAt: created.Add(time.Minute)}, "sk-kp-1a2b"},
			{models.ClientToken{Token: "sha256:aaa", Name: "laptop", CreatedAt: created, RequestCount: 5}, ""},
			{models.ClientToken{Token: "sha256:ccc", Name: "ci", CreatedAt: created.Add(2 * time.Minute)}, "sk-kp-ffff"},
		}
		for _, r := range rows {
			if err := s.AddToken(ctx, r.tok, r.prefix); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddToken(ctx, rows[0].tok, "x"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("AddToken twice: %v, want ErrConflict", err)
		}
		infos, err := s.TokenInfos(ctx)
		if err != nil || len(infos) != 3 {
			t.Fatalf("TokenInfos = %+v, %v", infos, err)
		}
		first := infos[0]
		if first.Token != "sha256:aaa" || first.Name != "laptop" || first.Prefix != "" || first.RequestCount != 5 ||
			!first.CreatedAt.Equal(created) || first.ExpiresAt != nil || first.LastUsedAt != nil {
			t.Errorf("oldest token = %+v", first)
		}
		if infos[1].Prefix != "sk-kp-1a2b" || infos[2].Prefix != "sk-kp-ffff" {
			t.Errorf("prefixes = %q, %q", infos[1].Prefix, infos[2].Prefix)
		}
		n, err := s.DeleteTokens(ctx, []string{"sha256:bbb", "sha256:ccc", "sha256:nope"})
		if err != nil || n != 2 {
			t.Errorf("DeleteTokens = %d, %v; want 2", n, err)
		}
		if n, err := s.DeleteTokens(ctx, nil); err != nil || n != 0 {
			t.Errorf("DeleteTokens(nil) = %d, %v", n, err)
		}
	})
}
