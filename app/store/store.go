// Package store is Keypool's data access: opening the database (PostgreSQL
// or embedded SQLite) and reading and writing one provider's tables. A
// Store is always scoped to one provider; it never touches another's tables.
package store

import (
	"errors"

	"gorm.io/gorm"
)

// Errors callers can test for with errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: already exists")
)

// Store reads and writes the tables of one provider.
type Store struct {
	db      *gorm.DB
	dialect string
	prefix  string
}

// New returns a store for the tables named prefix_* (e.g. "ollama_api").
func New(db *DB, prefix string) *Store {
	return &Store{db: db.Gorm, dialect: db.Dialect, prefix: prefix}
}

// table returns the full name of one of this provider's tables.
func (s *Store) table(name string) string { return s.prefix + "_" + name }

// translate maps driver errors to the package's errors.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey), isUniqueViolation(err):
		return ErrConflict
	}
	return err
}

// isUniqueViolation recognises unique-key errors of both drivers by their
// SQLSTATE / extended code rather than by message text.
func isUniqueViolation(err error) bool {
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState() == "23505"
	}
	var sqliteErr interface{ Code() int }
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code() == 2067 || sqliteErr.Code() == 1555 // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
	}
	return false
}
