// Package pool keeps every upstream key of one provider in memory, chooses
// the next available key round robin, and moves keys through the states of
// DESIGN.md (active, cooling down, failed, disabled, expired) as upstream
// answers come in. Choosing a key reads atomics only: no lock held across
// I/O and no database call. State changes are written to the store in the
// background.
package pool

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keypool/keypool/models"
)

// ErrNoKey means no key is available right now.
var ErrNoKey = errors.New("pool: no available key")

// ErrUnknownKey means the key is not in the pool.
var ErrUnknownKey = errors.New("pool: unknown key")

// Store is what the pool needs from the database.
type Store interface {
	ListKeys(ctx context.Context) ([]models.Key, error)
	SaveKeyStates(ctx context.Context, keys []models.Key) error
}

// Config tunes the state machine.
type Config struct {
	Cooldown time.Duration // how long a failed key rests (KEY_COOLDOWN)
	// AloneCooldown is the first rest of a key whose 5xx or timeouts are
	// its own (default 5 s); it doubles on each repeat up to Cooldown.
	AloneCooldown time.Duration
	SaveInterval  time.Duration // how often pending state changes are written (default 500ms)
	Now           func() time.Time
	// Announce, when set, receives every verdict this instance reaches
	// about a key (failed, disabled, enabled, cooling down), for the other
	// instances. It is called on the request path: it must not block.
	Announce func(Verdict)
	// AnnounceKeys, when set, receives what Add and Remove changed, for
	// the other instances. It must not block.
	AnnounceKeys func(KeyNews)
}

// Pool is the set of keys of one provider.
type Pool struct {
	cfg   Config
	now   func() time.Time
	store Store
	log   *slog.Logger

	snap atomic.Pointer[snapshot]
	next atomic.Uint64

	// syncMu makes Load, Flush, Add and Remove take turns: a Load reading
	// the store while a Flush is writing would bring back the state being
	// replaced, two Loads could apply their reads in the wrong order, and a
	// Load that read the store before an insert or a delete would drop the
	// keys Add put in or bring back those Remove took out.
	syncMu  sync.Mutex
	mu      sync.Mutex // guards pending and reloads
	pending map[*Key]struct{}
	wake    chan struct{}
}

// snapshot is an immutable list of keys, replaced whole on every change
// (copy on write), so that Pick reads it without a lock.
type snapshot struct {
	list  []*Key
	index map[string]*Key
	fps   fingerprints // by Fingerprint, for verdicts from other instances
}

// New returns an empty pool; call Load before serving.
func New(cfg Config, store Store, log *slog.Logger) *Pool {
	if cfg.AloneCooldown <= 0 {
		cfg.AloneCooldown = 5 * time.Second
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = time.Hour
	}
	if cfg.SaveInterval <= 0 {
		cfg.SaveInterval = 500 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Pool{cfg: cfg, now: cfg.Now, store: store, log: log,
		pending: map[*Key]struct{}{}, wake: make(chan struct{}, 1)}
	p.snap.Store(&snapshot{index: map[string]*Key{}})
	return p
}

// Pick returns the next available key for model, round robin, skipping the
// keys in tried (those already used for this request), keys that may not
// serve model now and keys that reached their requests-per-minute limit;
// picking a key with a limit spends one of its requests of the minute.
func (p *Pool) Pick(model string, tried []*Key) (*Key, error) {
	list := p.snap.Load().list
	n := uint64(len(list))
	if n == 0 {
		return nil, ErrNoKey
	}
	start := p.next.Add(1)
	i := start % n
	// The clock is read only when a key has a deadline to compare with:
	// most keys have none, and reading it costs as much as the rest of Pick.
	var now int64
	haveNow := false
	for off := uint64(0); off < n; off++ {
		k := list[i]
		if i++; i == n {
			i = 0
		}
		avail, exp := k.availableAt.Load(), k.expiresAt.Load()
		if avail != 0 || exp != 0 {
			if !haveNow {
				now, haveNow = p.now().UnixNano(), true
			}
			if avail > now || (exp != 0 && exp <= now) {
				continue
			}
		}
		if contains(tried, k) {
			continue
		}
		if b := k.blocked.Load(); b != nil && model != "" {
			if !haveNow {
				now, haveNow = p.now().UnixNano(), true
			}
			if b.blocks(model, now) {
				continue
			}
		}
		if rpm := k.rpm.Load(); rpm > 0 {
			if !haveNow {
				now, haveNow = p.now().UnixNano(), true
			}
			if !k.takeMinute(now, rpm) {
				continue // at its limit this minute: better skipped than answered 429
			}
		}
		if off > 0 {
			// Resume after k: otherwise the key behind a run of
			// unavailable ones takes the whole run's share of the picks,
			// and every pick walks the run again. A lost race only means
			// another Pick moved the cursor already.
			p.next.CompareAndSwap(start, start+off)
		}
		return k, nil
	}
	return nil, ErrNoKey
}

func contains(keys []*Key, k *Key) bool {
	for _, t := range keys {
		if t == k {
			return true
		}
	}
	return false
}

// Get returns the pool's entry for an API key.
func (p *Pool) Get(apiKey string) (*Key, bool) {
	k, ok := p.snap.Load().index[apiKey]
	return k, ok
}

// Len is the number of keys loaded.
func (p *Pool) Len() int { return len(p.snap.Load().list) }
