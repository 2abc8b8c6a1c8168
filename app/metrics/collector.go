package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/stats"
)

// PoolCounter is what the collector reads from a key pool.
type PoolCounter interface {
	Counts() pool.Counts
}

// StatsStatus is what the collector reads from the statistics aggregator.
type StatsStatus interface {
	Status() stats.Status
}

var (
	keysDesc = prometheus.NewDesc("keypool_keys",
		"Upstream keys by provider and state, as of the scrape (available: would be chosen now).",
		[]string{"provider", "state"}, nil)
	flushLagDesc = prometheus.NewDesc("keypool_stats_flush_lag_seconds",
		"Seconds since the statistics were last written to the database.", nil, nil)
	pendingDesc = prometheus.NewDesc("keypool_stats_pending_rows",
		"Statistics rows waiting in memory for the next write.", nil, nil)
	failedFlushDesc = prometheus.NewDesc("keypool_stats_failed_flushes_total",
		"Statistics writes that failed (and were retried).", nil, nil)
	recordedDesc = prometheus.NewDesc("keypool_stats_recorded_total",
		"Requests handed to the statistics aggregator.", nil, nil)
)

// stateCollector reads the pools and the aggregator at scrape time, so the
// hot path keeps no gauges up to date.
type stateCollector struct {
	pools map[string]PoolCounter
	stats StatsStatus // nil when statistics are off
}

// WatchState registers a collector of the pools' key counts by state and
// of the aggregator's status (stats may be nil).
func (m *Metrics) WatchState(pools map[string]PoolCounter, stats StatsStatus) {
	m.reg.MustRegister(&stateCollector{pools: pools, stats: stats})
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- keysDesc
	if c.stats != nil {
		ch <- flushLagDesc
		ch <- pendingDesc
		ch <- failedFlushDesc
		ch <- recordedDesc
	}
}

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	for id, p := range c.pools {
		n := p.Counts()
		for _, s := range []struct {
			state string
			n     int
		}{
			{"total", n.Total}, {"active", n.Active}, {"failed", n.Failed}, {"disabled", n.Disabled},
			{"expired", n.Expired}, {"cooling_down", n.CoolingDown}, {"available", n.Available},
		} {
			ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(s.n), id, s.state)
		}
	}
	if c.stats == nil {
		return
	}
	st := c.stats.Status()
	ch <- prometheus.MustNewConstMetric(flushLagDesc, prometheus.GaugeValue, st.FlushLagSecs)
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(st.PendingRows))
	ch <- prometheus.MustNewConstMetric(failedFlushDesc, prometheus.CounterValue, float64(st.FailedFlush))
	ch <- prometheus.MustNewConstMetric(recordedDesc, prometheus.CounterValue, float64(st.Recorded))
}

// ClusterStatus is what the collector reads from the link to the other
// instances.
type ClusterStatus interface {
	Counts() cluster.Counts
	Status() cluster.Status
}

var (
	clusterMessagesDesc = prometheus.NewDesc("keypool_cluster_messages_total",
		"Messages between instances: sent, received (from others, applied), lost (the bus refused them).",
		[]string{"direction"}, nil)
	clusterListeningDesc = prometheus.NewDesc("keypool_cluster_listening",
		"1 when this instance has subscribed to the bus between instances (labelled redis or postgres).",
		[]string{"bus"}, nil)
)

// clusterCollector reads the cluster's counters at scrape time.
type clusterCollector struct{ c ClusterStatus }

// WatchCluster registers a collector of the messages between instances.
func (m *Metrics) WatchCluster(c ClusterStatus) { m.reg.MustRegister(clusterCollector{c}) }

// Describe implements prometheus.Collector.
func (c clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- clusterMessagesDesc
	ch <- clusterListeningDesc
}

// Collect implements prometheus.Collector.
func (c clusterCollector) Collect(ch chan<- prometheus.Metric) {
	n, st := c.c.Counts(), c.c.Status()
	ch <- prometheus.MustNewConstMetric(clusterMessagesDesc, prometheus.CounterValue, float64(n.Sent), "sent")
	ch <- prometheus.MustNewConstMetric(clusterMessagesDesc, prometheus.CounterValue, float64(n.Received), "received")
	ch <- prometheus.MustNewConstMetric(clusterMessagesDesc, prometheus.CounterValue, float64(n.Lost), "lost")
	listening := 0.0
	if st.Listening {
		listening = 1
	}
	ch <- prometheus.MustNewConstMetric(clusterListeningDesc, prometheus.GaugeValue, listening, st.Bus)
}
