package store

import (
	"context"
	"fmt"

	"github.com/keypool/keypool/migrations"
)

// usersTable is the original project's user table. It is global (one for
// both providers), Keypool never creates or writes it, and only an adopted
// PostgreSQL database has it.
const usersTable = "ollama_api_users"

// DeactivatedTokens returns the client tokens (users.key_token, as the
// original stored them: plaintext) of the users the original project
// deactivated (is_active = false), so that adopting its database unbans no
// one. It returns none on SQLite and where the table, or one of the two
// columns, does not exist. The users are global, so every provider's store
// returns the same list; a token is refused in whichever table holds it.
func (s *Store) DeactivatedTokens(ctx context.Context) ([]string, error) {
	if s.dialect != migrations.Postgres {
		return nil, nil // the original ran on PostgreSQL only: no users here
	}
	// The catalog, not information_schema: that one hides the columns a
	// role may not read, and a ban must not be skipped for want of a grant
	// (the read below fails instead, and so does the token load).
	var columns int64
	err := s.db.WithContext(ctx).Raw(`SELECT count(*) FROM pg_attribute
		WHERE attrelid = to_regclass(?) AND attname IN ('is_active', 'key_token') AND NOT attisdropped`,
		usersTable).Scan(&columns).Error
	if err != nil {
		return nil, fmt.Errorf("store: deactivated users: %w", err)
	}
	if columns != 2 {
		return nil, nil
	}
	var tokens []string
	err = s.db.WithContext(ctx).Raw(`SELECT key_token FROM ` + usersTable +
		` WHERE is_active = false AND key_token IS NOT NULL AND key_token <> ''`).Scan(&tokens).Error
	if err != nil {
		return nil, fmt.Errorf("store: deactivated users: %w", err)
	}
	return tokens, nil
}
