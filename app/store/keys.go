package store

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"gorm.io/gorm/clause"

	"github.com/keypool/keypool/migrations"
	"github.com/keypool/keypool/models"
)

// ListKeys returns every key of the provider, for the in-memory pool.
func (s *Store) ListKeys(ctx context.Context) ([]models.Key, error) {
	var keys []models.Key
	err := s.db.WithContext(ctx).Table(s.table("keys")).Order("created_at, api_key").Find(&keys).Error
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	for i := range keys {
		keys[i] = keyUTC(keys[i])
	}
	return keys, nil
}

// ListKeysCreated returns the keys created between from and to, both
// included, in ListKeys's order: what another instance just imported, read
// through the keys(created_at, api_key) index instead of the whole table.
// The bounds are widened by a millisecond: PostgreSQL keeps microseconds,
// and pgx truncates a bound as it truncated the stored time, so exact bounds
// work today; the margin keeps them working should a time be rounded on the
// way, at the cost of the few neighbours it also returns.
func (s *Store) ListKeysCreated(ctx context.Context, from, to time.Time) ([]models.Key, error) {
	var keys []models.Key
	err := s.db.WithContext(ctx).Table(s.table("keys")).
		Where("created_at >= ? AND created_at <= ?", from.UTC().Add(-time.Millisecond), to.UTC().Add(time.Millisecond)).
		Order("created_at, api_key").Find(&keys).Error
	if err != nil {
		return nil, fmt.Errorf("store: list keys created: %w", err)
	}
	for i := range keys {
		keys[i] = keyUTC(keys[i])
	}
	return keys, nil
}

// InsertKeys adds keys, skipping those already stored or repeated in keys,
// and returns how many were new. Times are stored in UTC.
func (s *Store) InsertKeys(ctx context.Context, keys []models.Key) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	// A copy: the caller's slice is left as it was.
	rows := make([]models.Key, len(keys))
	for i, k := range keys {
		if k.Status == "" {
			k.Status = models.StatusActive
		}
		rows[i] = keyUTC(k)
	}
	// ON CONFLICT DO NOTHING also skips a key repeated within the input, on
	// both dialects, so RowsAffected counts each new key once.
	res := s.db.WithContext(ctx).Table(s.table("keys")).
		Clauses(clause.OnConflict{DoNothing: true}).
		CreateInBatches(rows, s.keyBatch())
	if res.Error != nil {
		return 0, fmt.Errorf("store: insert keys: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}

// keyBatch is how many keys one INSERT carries. On PostgreSQL as many as
// its 65535 bound parameters allow (counted from the model, so that a
// column added later keeps the batch legal), capped at 8000: 100,000 keys
// take 14 statements instead of 200, ~30% faster. SQLite stays at 500:
// there larger statements are slower (20,000 keys: 0.5 s at 500, 2.7 s
// at 3,640).
func (s *Store) keyBatch() int {
	if s.dialect == migrations.SQLite {
		return 500
	}
	return min(65535/reflect.TypeFor[models.Key]().NumField(), 8000)
}

// CreateKey adds one key; ErrConflict if it is already stored. Times are
// stored in UTC.
func (s *Store) CreateKey(ctx context.Context, k models.Key) error {
	if k.Status == "" {
		k.Status = models.StatusActive
	}
	k = keyUTC(k)
	if err := s.db.WithContext(ctx).Table(s.table("keys")).Create(&k).Error; err != nil {
		return fmt.Errorf("store: create key: %w", translate(err))
	}
	return nil
}

// KeyNames returns every api_key of the provider, in no set order.
func (s *Store) KeyNames(ctx context.Context) ([]string, error) {
	names := []string{}
	if err := s.db.WithContext(ctx).Table(s.table("keys")).Pluck("api_key", &names).Error; err != nil {
		return nil, fmt.Errorf("store: key names: %w", err)
	}
	return names, nil
}

// DeleteKeys removes keys (their stats go with them) and returns how many
// existed.
func (s *Store) DeleteKeys(ctx context.Context, apiKeys []string) (int64, error) {
	if len(apiKeys) == 0 {
		return 0, nil
	}
	// key_stats cascades on PostgreSQL and SQLite with foreign_keys on; the
	// explicit delete also covers an adopted table made without the FK.
	tx := s.db.WithContext(ctx).Begin()
	if err := tx.Table(s.table("key_stats")).Where("api_key IN ?", apiKeys).Delete(&models.KeyStats{}).Error; err != nil {
		tx.Rollback()
		return 0, fmt.Errorf("store: delete key stats: %w", err)
	}
	res := tx.Table(s.table("keys")).Where("api_key IN ?", apiKeys).Delete(&models.Key{})
	if res.Error != nil {
		tx.Rollback()
		return 0, fmt.Errorf("store: delete keys: %w", res.Error)
	}
	if err := tx.Commit().Error; err != nil {
		return 0, fmt.Errorf("store: delete keys: %w", err)
	}
	return res.RowsAffected, nil
}

// SaveKeyStates writes the state columns (status, failed_until,
// disabled_until, expires_at, consecutive_failures) of the given keys in one
// transaction. Keys deleted meanwhile are skipped.
func (s *Store) SaveKeyStates(ctx context.Context, keys []models.Key) error {
	if len(keys) == 0 {
		return nil
	}
	tx := s.db.WithContext(ctx).Begin()
	for _, k := range keys {
		err := tx.Table(s.table("keys")).Where("api_key = ?", k.APIKey).Updates(map[string]any{
			"status":               k.Status,
			"failed_until":         utc(k.FailedUntil),
			"disabled_until":       utc(k.DisabledUntil),
			"expires_at":           utc(k.ExpiresAt), // Enable clears a past expiry
			"consecutive_failures": k.ConsecutiveFailures,
		}).Error
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("store: save key state: %w", err)
		}
	}
	if err := tx.Commit().Error; err != nil {
		return fmt.Errorf("store: save key states: %w", err)
	}
	return nil
}
