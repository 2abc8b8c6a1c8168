package tokens

import (
	"context"
	"errors"
	"testing"

	"github.com/keypool/keypool/models"
)

// bannedStore is a store that knows of users, some deactivated.
type bannedStore struct {
	fakeStore
	deactivated []string
	err         error
}

func (b bannedStore) DeactivatedTokens(context.Context) ([]string, error) {
	return b.deactivated, b.err
}

// A token whose user the original project deactivated is refused by
// Lookup and told apart by Deactivated, whether the row holds its
// plaintext or (after 0004) its digest; other tokens are untouched.
func TestDeactivated(t *testing.T) {
	t.Parallel()
	plainBanned, digestBanned, active, unlinked := "banned-plain", "banned-digest", "active-user", Generate()
	s := New(bannedStore{
		fakeStore: fakeStore{
			{Token: plainBanned}, {Token: Digest(digestBanned)}, {Token: Digest(active)}, {Token: Digest(unlinked)},
		},
		// users.key_token holds plaintext; "not-a-token" has no client_tokens row.
		deactivated: []string{plainBanned, digestBanned, "not-a-token", ""},
	})
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		token             string
		known, deactivate bool
	}{
		{plainBanned, false, true},
		{digestBanned, false, true},
		{active, true, false},
		{unlinked, true, false},
		{"not-a-token", false, false}, // unknown: 401, not 403
		{"", false, false},
	} {
		if _, ok := s.Lookup(c.token); ok != c.known {
			t.Errorf("Lookup(%q) ok = %v, want %v", c.token, ok, c.known)
		}
		if got := s.Deactivated(c.token); got != c.deactivate {
			t.Errorf("Deactivated(%q) = %v, want %v", c.token, got, c.deactivate)
		}
	}
	if s.Len() != 4 {
		t.Errorf("Len = %d, want 4", s.Len())
	}
}

// A failed read of the users keeps the tokens loaded before: a Load that
// cannot tell who is banned must not unban anyone.
func TestDeactivatedReadFails(t *testing.T) {
	t.Parallel()
	banned := "banned"
	st := &bannedStore{fakeStore: fakeStore{{Token: banned}}, deactivated: []string{banned}}
	s := New(st)
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.deactivated, st.err = nil, errors.New("connection reset")
	if err := s.Load(context.Background()); err == nil {
		t.Fatal("Load with a failing users read: no error")
	}
	if _, ok := s.Lookup(banned); ok || !s.Deactivated(banned) {
		t.Error("a failed Load unbanned the token")
	}
}

var _ Deactivations = bannedStore{}

// The plain fakeStore has no users: Load works as before.
var _ Store = fakeStore([]models.ClientToken{})
