package operator

import (
	"context"
	"strconv"
	"time"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/store"
)

// statsReader is what the statistics reads ask of a provider's store.
type statsReader interface {
	GlobalStats(ctx context.Context) (store.Totals, error)
	TopModels(ctx context.Context, limit int) ([]store.ModelRow, error)
	KeyStatsPage(ctx context.Context, q store.KeyStatsQuery) ([]store.KeyStatsRow, int64, error)
	HourlySeries(ctx context.Context, from, to time.Time, model string) ([]store.HourPoint, error)
}

// TopModels is how many models the figures list.
const TopModels = 10

// Overview is one provider's figures: totals (from the store), key counts
// (from the in-memory pool, which holds the current states), the top
// models and the number of client tokens.
type Overview struct {
	Provider string
	store.Totals
	Keys   pool.Counts
	Models []store.ModelRow
	Tokens int
}

// Overview reads a provider's figures, the same for the admin API and
// the dashboard.
func (s *Service) Overview(ctx context.Context, providerID string) (Overview, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return Overview{}, err
	}
	rd := s.reader(p)
	totals, err := rd.GlobalStats(ctx)
	if err != nil {
		return Overview{}, err
	}
	models, err := rd.TopModels(ctx, TopModels)
	if err != nil {
		return Overview{}, err
	}
	out := Overview{Provider: p.Info.ID, Totals: totals, Keys: p.Pool.Counts(), Models: models}
	if p.Tokens != nil {
		out.Tokens = p.Tokens.Len()
	}
	return out, nil
}

// KeyStatsQuery is what a listing of keys with their usage asks for, as
// received; KeyStats checks it.
type KeyStatsQuery struct {
	Page, PerPage string // from 1; 1–500 (default 50)
	Sort          string // requests (default), success_rate, failures, last_used, key
	Order         string // asc | desc; default desc, asc for key
	Reveal        string // "true": whole keys instead of masked ones
}

// KeyStatsPage is one page of keys with their usage.
type KeyStatsPage struct {
	Page    int                 `json:"page"`
	PerPage int                 `json:"per_page"`
	Total   int64               `json:"total"`
	Keys    []store.KeyStatsRow `json:"keys"`
}

// KeyStats reads one page of keys with their usage.
func (s *Service) KeyStats(ctx context.Context, providerID string, in KeyStatsQuery) (KeyStatsPage, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return KeyStatsPage{}, err
	}
	page, err := Int("page", in.Page, 1, 1, 1_000_000_000)
	if err != nil {
		return KeyStatsPage{}, err
	}
	perPage, err := Int("per_page", in.PerPage, 50, 1, 500)
	if err != nil {
		return KeyStatsPage{}, err
	}
	sort := in.Sort
	if sort == "" {
		sort = "requests"
	}
	if !store.ValidKeySort(sort) {
		return KeyStatsPage{}, invalid("sort", "sort must be requests, success_rate, failures, last_used or key")
	}
	order := in.Order
	if order == "" {
		order = map[bool]string{true: "asc", false: "desc"}[sort == "key"] // A→Z unless asked otherwise
	}
	if order != "asc" && order != "desc" {
		return KeyStatsPage{}, invalid("order", "order must be asc or desc")
	}
	reveal := false
	if in.Reveal != "" {
		if reveal, err = strconv.ParseBool(in.Reveal); err != nil {
			return KeyStatsPage{}, invalid("reveal", "reveal must be true or false")
		}
	}
	rows, total, err := s.reader(p).KeyStatsPage(ctx, store.KeyStatsQuery{Sort: sort, Desc: order == "desc",
		Limit: perPage, Offset: (page - 1) * perPage})
	if err != nil {
		return KeyStatsPage{}, err
	}
	if reveal {
		s.log.Info("operator: whole keys shown", "provider", p.Info.ID, "page", page, "keys", len(rows))
	}
	for i := range rows {
		// The pool's state is the current one; the store's may lag behind.
		if k, ok := p.Pool.Get(rows[i].APIKey); ok {
			rows[i].Status = k.State().Status
		}
		if !reveal {
			rows[i].APIKey = redact.Key(rows[i].APIKey)
		}
	}
	return KeyStatsPage{Page: page, PerPage: perPage, Total: total, Keys: rows}, nil
}

// Hourly reads one point per UTC hour of the last hours (24, 168 or 720,
// the current hour last), zeros included, for model or all ("").
func (s *Service) Hourly(ctx context.Context, providerID string, hours int, model string) ([]store.HourPoint, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return nil, err
	}
	if hours != 24 && hours != 168 && hours != 720 {
		return nil, invalid("hours", "hours must be 24, 168 or 720")
	}
	return s.hourly(ctx, p, hours, model)
}

// hourly reads the hours up to and including the current one.
func (s *Service) hourly(ctx context.Context, p *backend.Provider, hours int, model string) ([]store.HourPoint, error) {
	next := s.now().UTC().Truncate(time.Hour).Add(time.Hour)
	return s.reader(p).HourlySeries(ctx, next.Add(-time.Duration(hours)*time.Hour), next, model)
}

// HourlySeries reads a provider's series for the UTC hours in [from, to),
// one point per hour.
func (s *Service) HourlySeries(ctx context.Context, providerID string, from, to time.Time) ([]store.HourPoint, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return nil, err
	}
	return s.reader(p).HourlySeries(ctx, from, to, "")
}
