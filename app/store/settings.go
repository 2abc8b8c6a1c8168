package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// settingEnabled is the settings row of the runtime provider switch.
const settingEnabled = "enabled"

// Setting returns a value of the provider's settings table ({prefix}_settings)
// and whether it is set.
func (s *Store) Setting(ctx context.Context, key string) (string, bool, error) {
	var value string
	err := s.db.WithContext(ctx).Raw(`SELECT value FROM `+s.table("settings")+` WHERE key = ?`, key).Row().Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: read setting %s: %w", key, err)
	}
	return value, true, nil
}

// PutSetting sets a value of the provider's settings table.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO `+s.table("settings")+` (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, time.Now().UTC()).Error
	if err != nil {
		return fmt.Errorf("store: write setting %s: %w", key, err)
	}
	return nil
}

// ProviderEnabled reads the persisted runtime switch of the provider: on
// unless an admin switched it off.
func (s *Store) ProviderEnabled(ctx context.Context) (bool, error) {
	v, ok, err := s.Setting(ctx, settingEnabled)
	if err != nil || !ok {
		return true, err
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return true, fmt.Errorf("store: setting %s = %q is not a boolean", settingEnabled, v)
	}
	return on, nil
}

// SetProviderEnabled persists the runtime switch of the provider.
func (s *Store) SetProviderEnabled(ctx context.Context, on bool) error {
	return s.PutSetting(ctx, settingEnabled, strconv.FormatBool(on))
}

// SettingOnce returns the value of key, storing value first when the key
// is unset. The first writer wins, so instances starting together agree.
func (s *Store) SettingOnce(ctx context.Context, key, value string) (string, error) {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO `+s.table("settings")+` (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO NOTHING`, key, value, time.Now().UTC()).Error
	if err != nil {
		return "", fmt.Errorf("store: write setting %s: %w", key, err)
	}
	v, ok, err := s.Setting(ctx, key)
	if err == nil && !ok {
		err = fmt.Errorf("store: setting %s vanished after it was written", key)
	}
	return v, err
}
