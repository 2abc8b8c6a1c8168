package web

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keypool/keypool/app/outage"
)

// RedisStorage keeps the pages' CSRF tokens and logged-out sessions in
// Redis, so that every instance accepts a form or a sign-out made on
// another. Whatever it writes it also keeps in this process's memory, and
// while Redis does not answer it reads from there: the dashboard goes on
// working on each instance alone (as with sticky sessions) instead of
// refusing every form.
type RedisStorage struct {
	rdb    *redis.Client
	prefix string
	local  *tokenStore
	down   *outage.Outage // while Redis is away, pages do not wait on it
}

// redisStorageTimeout bounds one Redis call of a page request.
const redisStorageTimeout = 500 * time.Millisecond

// NewRedisStorage returns a storage on rdb under prefix.
func NewRedisStorage(rdb *redis.Client, prefix string, log *slog.Logger) *RedisStorage {
	return &RedisStorage{rdb: rdb, prefix: prefix, local: newTokenStore(),
		down: outage.New(time.Second, log, "dashboard: redis unreachable; sessions and forms work per instance until it is back",
			"dashboard: redis is back")}
}

func (s *RedisStorage) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), redisStorageTimeout)
}

// Get implements fiber.Storage: Redis's value, or the local one when
// Redis does not answer.
func (s *RedisStorage) Get(key string) ([]byte, error) {
	if s.down.Skip() {
		return s.local.Get(key)
	}
	ctx, cancel := s.ctx()
	defer cancel()
	v, err := s.rdb.Get(ctx, s.prefix+key).Bytes()
	s.note(err)
	if err == nil {
		return v, nil
	}
	return s.local.Get(key) // absent from Redis (perhaps written while it was away), or Redis is away
}

// note tells the outage tracker how a Redis call went.
func (s *RedisStorage) note(err error) {
	if err == nil || errors.Is(err, redis.Nil) {
		s.down.OK()
	} else {
		s.down.Fail(context.Background(), err)
	}
}

// Set implements fiber.Storage, writing to Redis and to memory.
func (s *RedisStorage) Set(key string, val []byte, exp time.Duration) error {
	_ = s.local.Set(key, val, exp)
	if s.down.Skip() {
		return nil // the local copy serves this instance meanwhile
	}
	ctx, cancel := s.ctx()
	defer cancel()
	s.note(s.rdb.Set(ctx, s.prefix+key, val, exp).Err())
	return nil
}

// Delete implements fiber.Storage.
func (s *RedisStorage) Delete(key string) error {
	_ = s.local.Delete(key)
	if s.down.Skip() {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	s.note(s.rdb.Del(ctx, s.prefix+key).Err())
	return nil
}

// Reset implements fiber.Storage; only this process's memory is emptied
// (Fiber never calls it for the CSRF store).
func (s *RedisStorage) Reset() error { return s.local.Reset() }

// Close implements fiber.Storage; the Redis client belongs to the gateway.
func (s *RedisStorage) Close() error { return nil }
