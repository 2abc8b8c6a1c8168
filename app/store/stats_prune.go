package store

import (
	"context"
	"fmt"
	"time"
)

// DeleteHourlyBefore deletes the provider's hourly rows of hours before
// cutoff and returns how many went. It also forgets the ids of statistics
// batches written more than a day ago, which are only needed to settle a
// write whose acknowledgement was lost.
func (s *Store) DeleteHourlyBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	db := s.db.WithContext(ctx)
	res := db.Exec(`DELETE FROM `+s.table("model_hourly")+` WHERE hour < ?`, cutoff.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete old hourly rows: %w", res.Error)
	}
	if err := db.Exec(`DELETE FROM `+s.table("stats_flushes")+` WHERE applied_at < ?`, time.Now().UTC().Add(-24*time.Hour)).Error; err != nil {
		return res.RowsAffected, fmt.Errorf("store: delete old batch ids: %w", err)
	}
	return res.RowsAffected, nil
}
