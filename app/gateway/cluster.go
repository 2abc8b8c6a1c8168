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
		// One channel per database, named by an id stored in it: instances
		// reaching one database by different host names still meet, and
		// deployments sharing a Redis do not.
		id, err := store.New(g.db, first.Prefix).SettingOnce(ctx, "cluster_id", randomID())
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

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
