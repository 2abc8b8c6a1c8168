package respcache

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keypool/keypool/app/outage"
)

// DefaultPrefix starts every Redis key of the response cache: answers are
// {prefix}{provider}:{hex sum}, a provider's hit and miss counters the
// hash {prefix}counters:{provider}.
const DefaultPrefix = "keypool:cache:"

// scanCount is the COUNT hint of the SCANs of Stats and Clear.
const scanCount = 500

// RedisOptions tune a Redis cache.
type RedisOptions struct {
	TTL    time.Duration // how long an answer is kept (SET … PX)
	Prefix string        // "": DefaultPrefix; tests use their own
	Log    *slog.Logger  // nil: slog.Default()
	// RetryAfter is how long Get and Set leave Redis alone after it failed
	// (they miss and skip storing meanwhile); 0: one second.
	RetryAfter time.Duration
	// Timeout bounds one Get or Set, the client's retries included; 0: 500 ms.
	Timeout time.Duration
}

// Redis is the cache shared by every instance on one Redis: an answer is
// one string with its time to live, and hits and misses are counted in
// Redis so that every instance reports the same figures. Its size is
// bounded by the Redis server's maxmemory, not by CACHE_MAX_BYTES.
type Redis struct {
	rdb     *redis.Client
	ttl     time.Duration
	timeout time.Duration
	prefix  string
	down    *outage.Outage
}

// NewRedis returns a cache on rdb (the gateway's one Redis client).
func NewRedis(rdb *redis.Client, opts RedisOptions) *Redis {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 500 * time.Millisecond
	}
	return &Redis{rdb: rdb, ttl: opts.TTL, timeout: opts.Timeout, prefix: opts.Prefix,
		down: outage.New(opts.RetryAfter, opts.Log,
			"response cache: redis unreachable; requests go upstream until it is back", "response cache: redis is back")}
}

// getScript reads an answer and counts the lookup in one round trip.
var getScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
redis.call('HINCRBY', KEYS[2], v and 'hits' or 'misses', 1)
return v`)

// Get implements Cache; a failing Redis is a miss.
func (r *Redis) Get(ctx context.Context, key Key) (Entry, bool) {
	if r.down.Skip() {
		return Entry{}, false
	}
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	v, err := getScript.Run(cctx, r.rdb, []string{r.entryKey(key), r.countersKey(key.Provider)}).Text()
	if err != nil && !errors.Is(err, redis.Nil) {
		r.down.Fail(ctx, err)
		return Entry{}, false
	}
	r.down.OK()
	if err != nil {
		return Entry{}, false
	}
	ct, body, ok := strings.Cut(v, "\n")
	if !ok {
		return Entry{}, false // not written by Set
	}
	return Entry{ContentType: ct, Body: []byte(body)}, true
}

// Set implements Cache; a failing Redis keeps nothing.
func (r *Redis) Set(ctx context.Context, key Key, e Entry) {
	if r.down.Skip() {
		return
	}
	v := make([]byte, 0, e.size())
	v = append(append(append(v, e.ContentType...), '\n'), e.Body...)
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.rdb.Set(cctx, r.entryKey(key), v, r.ttl).Err(); err != nil {
		r.down.Fail(ctx, err)
		return
	}
	r.down.OK()
}

// Stats counts a provider's answers and their bytes with SCAN and STRLEN
// (a key that expires meanwhile is left out; one that SCAN returns twice
// while Redis rehashes counts twice) and reads its counters.
func (r *Redis) Stats(ctx context.Context, provider string) (Stats, error) {
	var s Stats
	err := r.scan(ctx, provider, func(keys []string) error {
		pipe := r.rdb.Pipeline()
		lens := make([]*redis.IntCmd, len(keys))
		for i, k := range keys {
			lens[i] = pipe.StrLen(ctx, k)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("respcache: strlen: %w", err)
		}
		for _, l := range lens {
			if n := l.Val(); n > 0 {
				s.Entries++
				s.Bytes += n
			}
		}
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	counts, err := r.rdb.HMGet(ctx, r.countersKey(provider), "hits", "misses").Result()
	if err != nil {
		return Stats{}, fmt.Errorf("respcache: read counters: %w", err)
	}
	s.Hits, s.Misses = counter(counts[0]), counter(counts[1])
	return s, nil
}

// Clear removes a provider's answers with SCAN and UNLINK; its hit and
// miss counters are kept.
func (r *Redis) Clear(ctx context.Context, provider string) (int, error) {
	n := 0
	err := r.scan(ctx, provider, func(keys []string) error {
		removed, err := r.rdb.Unlink(ctx, keys...).Result()
		if err != nil {
			return fmt.Errorf("respcache: unlink: %w", err)
		}
		n += int(removed)
		return nil
	})
	return n, err
}

// scan calls each with every batch of a provider's answer keys.
func (r *Redis) scan(ctx context.Context, provider string, each func(keys []string) error) error {
	pattern := r.prefix + provider + ":*"
	var cursor uint64
	for {
		keys, next, err := r.rdb.Scan(ctx, cursor, pattern, scanCount).Result()
		if err != nil {
			return fmt.Errorf("respcache: scan: %w", err)
		}
		if len(keys) > 0 {
			if err := each(keys); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

func (r *Redis) entryKey(k Key) string {
	b := make([]byte, 0, len(r.prefix)+len(k.Provider)+1+2*len(k.Sum))
	b = append(append(append(b, r.prefix...), k.Provider...), ':')
	return string(hex.AppendEncode(b, k.Sum[:]))
}

func (r *Redis) countersKey(provider string) string { return r.prefix + "counters:" + provider }

// counter reads one HMGET value: a missing field is 0.
func counter(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
