package pool

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/keypool/keypool/models"
)

// The pool takes what changed instead of reading the whole key table back:
// Add and Remove change this instance's pool after an import or a delete
// and tell the others (Config.AnnounceKeys); LoadCreated and
// RemoveFingerprints apply what another instance told. Each makes one new
// snapshot (the list and index copied, a few milliseconds for 100,000
// keys), and each takes its turn with Load under syncMu, so the periodic
// Load neither loses a key added nor brings back one removed. That Load
// stays the safety net for news a bus lost.

// KeyNews is what Add and Remove tell the other instances through
// Config.AnnounceKeys. It never carries a key: the keys added are found by
// their created_at, which the others read from the store (LoadCreated), the
// keys removed by their Fingerprint (RemoveFingerprints).
type KeyNews struct {
	Added int // how many rows Add was given; 0: none
	// CreatedFrom and CreatedTo bound the created_at of those rows.
	CreatedFrom, CreatedTo time.Time
	Removed                []string // the Fingerprint of each key removed
}

// createdLister is what LoadCreated needs of the store besides Store
// (app/store's ListKeysCreated). A store without it gets a full Load.
type createdLister interface {
	ListKeysCreated(ctx context.Context, from, to time.Time) ([]models.Key, error)
}

// Add puts keys just inserted in the store into the pool, where Pick finds
// them at once, and tells the other instances. It reads nothing back: rows
// are taken as given (an empty status is active, as the store writes it).
// A key already in the pool is left as it is, its state there being the
// store's or newer; so rows may hold the keys the insert skipped as stored
// already (one another instance imported and this one has not heard of yet
// is taken as given until the next Load).
func (p *Pool) Add(rows []models.Key) {
	if len(rows) == 0 {
		return
	}
	p.syncMu.Lock()
	p.add(rows)
	p.syncMu.Unlock()
	if p.cfg.AnnounceKeys == nil {
		return
	}
	// All of rows, not only the keys new here: a key a Load brought in
	// meanwhile is still news to the others.
	news := KeyNews{Added: len(rows), CreatedFrom: rows[0].CreatedAt, CreatedTo: rows[0].CreatedAt}
	for _, r := range rows[1:] {
		if r.CreatedAt.Before(news.CreatedFrom) {
			news.CreatedFrom = r.CreatedAt
		}
		if r.CreatedAt.After(news.CreatedTo) {
			news.CreatedTo = r.CreatedAt
		}
	}
	p.cfg.AnnounceKeys(news)
}

// Remove drops keys from the pool at once, after a delete in the store, and
// tells the other instances: all of apiKeys, since they may hold keys this
// pool does not have yet.
func (p *Pool) Remove(apiKeys ...string) {
	if len(apiKeys) == 0 {
		return
	}
	p.syncMu.Lock()
	index := p.snap.Load().index // only changed under syncMu: stable here
	drop := make(map[*Key]bool, len(apiKeys))
	for _, a := range apiKeys {
		if k := index[a]; k != nil {
			drop[k] = true
		}
	}
	p.remove(drop)
	p.syncMu.Unlock()
	if p.cfg.AnnounceKeys == nil {
		return
	}
	fps := make([]string, 0, len(apiKeys))
	for _, a := range apiKeys {
		fps = append(fps, Fingerprint(a))
	}
	slices.Sort(fps)
	p.cfg.AnnounceKeys(KeyNews{Removed: slices.Compact(fps)})
}

// LoadCreated adds the keys created between from and to, read from the
// store: those another instance announced it imported. Keys already in the
// pool are left as they are, and nothing is announced. A store that cannot
// list keys by creation time gets a full Load instead.
func (p *Pool) LoadCreated(ctx context.Context, from, to time.Time) error {
	lister, ok := p.store.(createdLister)
	if !ok {
		return p.Load(ctx)
	}
	// The read is under syncMu, as Load's: a Remove after a delete made
	// meanwhile waits for it, instead of being undone by a read from before.
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	rows, err := lister.ListKeysCreated(ctx, from, to)
	if err != nil {
		return fmt.Errorf("pool: load created keys: %w", err)
	}
	p.add(rows)
	return nil
}

// RemoveFingerprints drops the keys another instance deleted, named by
// Fingerprint; those not in the pool are ignored, and nothing is announced.
func (p *Pool) RemoveFingerprints(fps ...string) {
	if len(fps) == 0 {
		return
	}
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	byFP := p.snap.Load().byFingerprint() // only changed under syncMu: stable here
	drop := make(map[*Key]bool, len(fps))
	for _, fp := range fps {
		if k := byFP[fp]; k != nil {
			drop[k] = true
		}
	}
	p.remove(drop)
}

// add appends the keys of rows not in the pool yet to its list, in the
// store's order (created_at, api_key), where a Load would put the newest
// keys. Call with syncMu held.
func (p *Pool) add(rows []models.Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.snap.Load()
	fresh := make([]*Key, 0, len(rows))
	seen := make(map[string]bool, len(rows))
	for _, row := range rows {
		if _, in := old.index[row.APIKey]; in || seen[row.APIKey] {
			continue
		}
		seen[row.APIKey] = true
		if row.Status == "" {
			row.Status = models.StatusActive
		}
		fresh = append(fresh, newKey(row))
	}
	if len(fresh) == 0 {
		return
	}
	slices.SortStableFunc(fresh, func(a, b *Key) int {
		return cmp.Or(a.state.CreatedAt.Compare(b.state.CreatedAt), cmp.Compare(a.apiKey, b.apiKey))
	})
	next := &snapshot{list: slices.Concat(old.list, fresh), index: maps.Clone(old.index)}
	for _, k := range fresh {
		next.index[k.apiKey] = k
	}
	if fps := old.fps.built(); fps != nil {
		m := maps.Clone(fps)
		for _, k := range fresh {
			m[k.fingerprint()] = k // not shared yet: no lock needed
		}
		next.fps.m = m
	}
	// The new keys come after the last old one: the cursor keeps its
	// place, and they get their turn when the round reaches the end.
	p.rebase(len(old.list), len(next.list), func(i int) int { return i })
	p.snap.Store(next)
}

// remove drops the keys in drop, all of them in the pool. Call with syncMu
// held.
func (p *Pool) remove(drop map[*Key]bool) {
	if len(drop) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.snap.Load()
	gone := make([]int, 0, len(drop)) // indexes in old.list, ascending
	list := make([]*Key, 0, len(old.list)-len(drop))
	for i, k := range old.list {
		if drop[k] {
			gone = append(gone, i)
			delete(p.pending, k)
			continue
		}
		list = append(list, k)
	}
	next := &snapshot{list: list, index: maps.Clone(old.index)}
	fps := old.fps.built()
	if fps != nil {
		next.fps.m = maps.Clone(fps)
	}
	for _, i := range gone {
		k := old.list[i]
		delete(next.index, k.apiKey)
		if fps != nil {
			k.mu.Lock()
			delete(next.fps.m, k.fingerprint())
			k.mu.Unlock()
		}
	}
	// Keys after a removed one move up: the cursor moves with them.
	p.rebase(len(old.list), len(list), func(i int) int {
		before, _ := slices.BinarySearch(gone, i)
		return i - before
	})
	p.snap.Store(next)
}

// rebase keeps the round-robin cursor on its key when the list of n keys
// becomes one of m: moved maps the index in the old list that Pick looks at
// next (n past the last) to its index in the new one (m past the last).
// A Pick racing it loses nothing but the place.
func (p *Pool) rebase(n, m int, moved func(int) int) {
	if n == 0 || m == 0 {
		return
	}
	for {
		cur := p.next.Load()
		i := moved(int(cur%uint64(n)) + 1)
		// Pick starts at (cursor+1) % m; i+m-1 makes that i, wrapped.
		if p.next.CompareAndSwap(cur, uint64(i+m-1)) {
			return
		}
	}
}
