package admin

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/jobs"
)

// EnableKeys enables the keys of ids as POST /admin/keys/enable does, and
// returns the rows of those that exist, in the order given; ids of keys
// that are gone are left out.
func (pg *Pages) EnableKeys(c *fiber.Ctx, providerID string, ids []string) ([]KeyView, error) {
	return pg.setKeys(c, providerID, ids, pg.h.enableKey)
}

// DisableKeys disables the keys of ids for d (0: until enabled) as POST
// /admin/keys/disable does, and returns their rows as EnableKeys does.
func (pg *Pages) DisableKeys(c *fiber.Ctx, providerID string, ids []string, d time.Duration) ([]KeyView, error) {
	if d < 0 || d > maxDisable {
		return nil, errorf(fiber.StatusBadRequest, "duration must be from 0 (until enabled) to %v", maxDisable)
	}
	return pg.setKeys(c, providerID, ids, func(p *Provider, key string) error { return pg.h.disableKey(p, key, d) })
}

// setKeys applies set to each key the pool holds and reads the rows back.
func (pg *Pages) setKeys(c *fiber.Ctx, providerID string, ids []string, set func(*Provider, string) error) ([]KeyView, error) {
	p, keys, err := pg.resolve(c.UserContext(), providerID, ids)
	if err != nil {
		return nil, err
	}
	var held []string
	for _, key := range keys {
		if _, ok := p.Pool.Get(key); ok && set(p, key) == nil {
			held = append(held, key)
		}
	}
	rows, err := p.Store.KeyRows(c.UserContext(), held)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]KeyView, len(rows))
	for _, r := range rows {
		byKey[r.APIKey] = pg.keys.view(p, r)
	}
	out := make([]KeyView, 0, len(held))
	for _, key := range held {
		if v, ok := byKey[key]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// DeleteKeys deletes the keys of ids from the store and the pool, as
// DELETE /admin/api-keys does, and returns how many were stored.
func (pg *Pages) DeleteKeys(c *fiber.Ctx, providerID string, ids []string) (int64, error) {
	p, err := pg.h.provider(providerID)
	if err != nil {
		return 0, err
	}
	return pg.keys.deleteN(c, p, ids)
}

// StartHealthCheck starts the job of POST /admin/keys/health-check on the
// keys of ids, or on every key of the provider when ids is empty, and
// returns its id.
func (pg *Pages) StartHealthCheck(c *fiber.Ctx, providerID string, ids []string) (string, error) {
	p, keys, err := pg.resolve(c.UserContext(), providerID, ids)
	if err != nil {
		return "", err
	}
	if len(keys) == 0 {
		if keys, err = p.Store.KeyNames(c.UserContext()); err != nil {
			return "", err
		}
	}
	job := pg.jobs.jobs.Start(jobs.KindHealthCheck, p.Info.ID, len(keys))
	pg.jobs.run(c, job, func(ctx context.Context) (any, error) { return pg.jobs.check(ctx, job, p, keys), nil })
	return job.ID(), nil
}

// resolve finds the provider and turns key ids into keys, as the JSON
// routes do (blank and repeated ids dropped).
func (pg *Pages) resolve(ctx context.Context, providerID string, ids []string) (*Provider, []string, error) {
	p, err := pg.h.provider(providerID)
	if err != nil {
		return nil, nil, err
	}
	ids = dedupe(ids)
	keys := make([]string, 0, len(ids))
	for _, id := range ids {
		key, err := pg.keys.resolve(ctx, p, id)
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, key)
	}
	return p, keys, nil
}
