package tokens

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

type fakeStore []models.ClientToken

func (f fakeStore) ListTokens(context.Context) ([]models.ClientToken, error) { return f, nil }

func intp(v int) *int { return &v }

// Lookup carries each token's limits, and names it for the limiter by its
// digest even when the row holds the plaintext (the original project's).
func TestLookupLimits(t *testing.T) {
	t.Parallel()
	limited, legacy, expired := Generate(), "legacy-plaintext-token", Generate()
	past := time.Now().Add(-time.Hour)
	s := New(fakeStore{
		{Token: Digest(limited), RPMLimit: intp(10), TPMLimit: intp(5000)},
		{Token: legacy, RPMLimit: intp(0)},
		{Token: Digest(expired), ExpiresAt: &past, RPMLimit: intp(1)},
	})
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	tok, ok := s.Lookup(limited)
	if !ok || tok.RPM != 10 || tok.TPM != 5000 || !tok.Limited() || tok.ID != Digest(limited) || tok.LimitKey != Digest(limited) {
		t.Fatalf("limited: %+v %v", tok, ok)
	}
	tok, ok = s.Lookup(legacy)
	if !ok || tok.Limited() || tok.ID != legacy || tok.LimitKey != Digest(legacy) || strings.Contains(tok.LimitKey, legacy) {
		t.Fatalf("legacy: %+v %v", tok, ok)
	}
	if _, ok := s.Lookup(expired); ok {
		t.Fatal("expired token accepted")
	}
	if id, ok := s.Check(limited); !ok || id != Digest(limited) {
		t.Fatalf("Check: %q %v", id, ok)
	}
}
