package cluster

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keypool/keypool/app/store"
)

// Bus carries messages between the instances of one deployment.
type Bus interface {
	// Publish sends payload to every instance listening, this one included.
	Publish(ctx context.Context, payload []byte) error
	// Listen hands every payload published to handle until ctx ends,
	// reconnecting after failures. connected is called each time a
	// subscription is in place: after a reconnect, the caller may have
	// missed messages.
	Listen(ctx context.Context, handle func([]byte), connected func())
	// Name is "redis" or "postgres", for logs.
	Name() string
}

// RedisBus is Redis pub/sub on one channel.
type RedisBus struct {
	rdb     *redis.Client
	channel string
}

// NewRedisBus returns a bus on rdb. Instances that share a database must
// share the channel, and only they: name it after the database.
func NewRedisBus(rdb *redis.Client, channel string) *RedisBus {
	return &RedisBus{rdb: rdb, channel: channel}
}

// Name implements Bus.
func (b *RedisBus) Name() string { return "redis" }

// Publish implements Bus.
func (b *RedisBus) Publish(ctx context.Context, payload []byte) error {
	return b.rdb.Publish(ctx, b.channel, payload).Err()
}

// Listen implements Bus. go-redis reconnects and subscribes again by
// itself; each subscription confirmation is a connect.
func (b *RedisBus) Listen(ctx context.Context, handle func([]byte), connected func()) {
	ps := b.rdb.Subscribe(ctx, b.channel)
	defer ps.Close()
	ch := ps.ChannelWithSubscriptions(redis.WithChannelHealthCheckInterval(time.Second))
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			switch m := msg.(type) {
			case *redis.Subscription:
				if m.Kind == "subscribe" {
					connected()
				}
			case *redis.Message:
				handle([]byte(m.Payload))
			}
		}
	}
}

// PostgresBus is LISTEN/NOTIFY on the gateway's own PostgreSQL database.
type PostgresBus struct {
	db      *store.DB
	channel string
	log     *slog.Logger
}

// NewPostgresBus returns a bus on db's channel; db.CanListen must hold.
func NewPostgresBus(db *store.DB, channel string, log *slog.Logger) *PostgresBus {
	return &PostgresBus{db: db, channel: channel, log: log}
}

// Name implements Bus.
func (b *PostgresBus) Name() string { return "postgres" }

// Publish implements Bus.
func (b *PostgresBus) Publish(ctx context.Context, payload []byte) error {
	return b.db.Notify(ctx, b.channel, string(payload))
}

// Listen implements Bus on a dedicated connection, opened again (after a
// pause growing to 10 s) whenever it fails.
func (b *PostgresBus) Listen(ctx context.Context, handle func([]byte), connected func()) {
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		l, err := b.db.Listen(ctx, b.channel)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("cluster: cannot LISTEN; retrying", "in", pause, "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
			pause = min(2*pause, 10*time.Second)
			continue
		}
		pause = 100 * time.Millisecond
		connected()
		for {
			payload, err := l.Next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					b.log.Warn("cluster: LISTEN connection lost; reconnecting", "err", err)
				}
				break
			}
			handle([]byte(payload))
		}
		l.Close()
	}
}
