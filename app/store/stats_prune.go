package store

import (
	"context"
	"fmt"
	"time"
)

// DeleteHourlyBefore deletes the provider's hourly rows of hours before
// cutoff and returns how many went.
func (s *Store) DeleteHourlyBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Exec(`DELETE FROM `+s.table("model_hourly")+` WHERE hour < ?`, cutoff.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete old hourly rows: %w", res.Error)
	}
	return res.RowsAffected, nil
}
