package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/migrations"
)

// buildCluster links this instance with the others on its PostgreSQL
// database: Redis pub/sub when REDIS_URL is set, LISTEN/NOTIFY otherwise
// (not through PgBouncer), and a resync every SYNC_INTERVAL behind either.
// An instance on SQLite is alone: nil.
func (g *Gateway) buildCluster(ctx context.Context, first *provider.Provider) (*cluster.Cluster, error) {
	if g.db.Dialect != migrations.Postgres {
		return nil, nil
	}
	var bus cluster.Bus
	switch {
	case g.limits.redis != nil:
		// One channel per database: instances reaching one database by
		// different host names still meet, deployments sharing a Redis do not.
		id, err := g.deploymentID(ctx, first)
		if err != nil {
			return nil, err
		}
		bus = cluster.NewRedisBus(g.limits.redis, "keypool:events:"+id)
	case g.db.CanListen():
		bus = cluster.NewPostgresBus(g.db, "keypool_events", g.log)
	default:
		g.log.Warn("no event bus between instances (PgBouncer cannot LISTEN and REDIS_URL is unset): other instances see key states, imports and tokens only at their next resync",
			"sync_interval", g.cfg.SyncInterval)
	}
	if bus != nil {
		g.log.Info("instances kept in step", "bus", bus.Name(), "sync_interval", g.cfg.SyncInterval)
	}
	return cluster.New(cluster.Config{Bus: bus, Resync: g.cfg.SyncInterval, Log: g.log}), nil
}

// deploymentID names this deployment's database in Redis keys and
// channels: an id stored in the database on first use, so instances on one
// database agree on it and deployments sharing a Redis stay apart. It is
// read from the database once.
func (g *Gateway) deploymentID(ctx context.Context, first *provider.Provider) (string, error) {
	if g.deployID != "" {
		return g.deployID, nil
	}
	id, err := store.New(g.db, first.Prefix).SettingOnce(ctx, "cluster_id", randomHex(12))
	g.deployID = id
	return id, err
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
