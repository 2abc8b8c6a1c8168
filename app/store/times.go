package store

import (
	"time"

	"github.com/keypool/keypool/models"
)

// utc returns t in UTC (nil stays nil). Times are written in UTC because
// SQLite keeps them as text with their offset and compares them as text,
// and read back in UTC because pgx returns them in the process's zone.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// keyUTC returns k with every time in UTC.
func keyUTC(k models.Key) models.Key {
	k.CreatedAt = k.CreatedAt.UTC()
	k.ExpiresAt = utc(k.ExpiresAt)
	k.FailedUntil = utc(k.FailedUntil)
	k.DisabledUntil = utc(k.DisabledUntil)
	return k
}

// tokenUTC returns t with every time in UTC.
func tokenUTC(t models.ClientToken) models.ClientToken {
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt = utc(t.ExpiresAt)
	return t
}
