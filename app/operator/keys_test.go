package operator

import (
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

func TestCurrent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	tests := []struct {
		name string
		in   models.Key
		want string
	}{
		{"active", models.Key{Status: models.StatusActive}, models.StatusActive},
		{"empty status", models.Key{}, models.StatusActive},
		{"failed, ongoing", models.Key{Status: models.StatusFailed, FailedUntil: &future}, models.StatusFailed},
		{"failed, over", models.Key{Status: models.StatusFailed, FailedUntil: &past, ConsecutiveFailures: 3}, models.StatusActive},
		{"failed forever", models.Key{Status: models.StatusFailed}, models.StatusFailed},
		{"disabled, over", models.Key{Status: models.StatusDisabled, DisabledUntil: &past}, models.StatusActive},
		{"disabled until enabled", models.Key{Status: models.StatusDisabled}, models.StatusDisabled},
		{"expired by date", models.Key{Status: models.StatusActive, ExpiresAt: &past}, models.StatusExpired},
		{"expiry outranks a disable", models.Key{Status: models.StatusDisabled, DisabledUntil: &future, ExpiresAt: &now}, models.StatusExpired},
	}
	for _, tt := range tests {
		got := current(tt.in, now)
		if got.Status != tt.want {
			t.Errorf("%s: status %q, want %q", tt.name, got.Status, tt.want)
		}
		if got.Status == models.StatusActive && (got.FailedUntil != nil || got.DisabledUntil != nil || got.ConsecutiveFailures != 0) {
			t.Errorf("%s: active key keeps %+v", tt.name, got)
		}
	}
}

func TestIDsAndPrefixes(t *testing.T) {
	t.Parallel()
	ids := []struct {
		in   string
		want bool
	}{
		{keyID("sk-anything"), true},
		{"0123456789abcdef", true},
		{"0123456789ABCDEF", false},
		{"0123456789abcde", false},
		{"0123456789abcdefa", false},
		{"sk-0123456789abc", false},
	}
	for _, tt := range ids {
		if got := isKeyID(tt.in); got != tt.want {
			t.Errorf("isKeyID(%q) = %v", tt.in, got)
		}
	}
	if first, again := keyID("a"), keyID("a"); first == keyID("b") || first != again {
		t.Error("keyID is not a stable function of the key")
	}
	prefixes := []struct{ plain, want string }{
		{"sk-kp-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b", "sk-kp-1a2b"},
		{"plain-token", "pl"}, // a quarter of a short token at most
		{"abc", ""},
	}
	for _, tt := range prefixes {
		if got := tokenPrefix(tt.plain); got != tt.want {
			t.Errorf("tokenPrefix(%q) = %q, want %q", tt.plain, got, tt.want)
		}
	}
	// A digest row and the plaintext row of the same token share their id.
	if a, b := tokenID("sha256:"+"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), tokenID("test"); a != b || a != "9f86d081884c7d65" {
		t.Errorf("tokenID = %q and %q, want 9f86d081884c7d65", a, b)
	}
}
