package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/keypool/keypool/app/health"
)

// HealthState is what the collector reads from a provider's health tracker.
type HealthState interface {
	State() health.State
}

var (
	providerUpDesc = prometheus.NewDesc("keypool_provider_up",
		"1 while the provider's upstream answers, 0 while its circuit breaker is open (requests get 503 until a probe succeeds).",
		[]string{"provider"}, nil)
	modelsDegradedDesc = prometheus.NewDesc("keypool_provider_degraded_models",
		"Models whose circuit breaker is open while the provider's other models answer.",
		[]string{"provider"}, nil)
)

type healthCollector map[string]HealthState

// WatchHealth registers a collector of the providers' breaker states.
func (m *Metrics) WatchHealth(trackers map[string]HealthState) {
	m.reg.MustRegister(healthCollector(trackers))
}

// Describe implements prometheus.Collector.
func (c healthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- providerUpDesc
	ch <- modelsDegradedDesc
}

// Collect implements prometheus.Collector.
func (c healthCollector) Collect(ch chan<- prometheus.Metric) {
	for id, t := range c {
		st := t.State()
		up := 0.0
		if st.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(providerUpDesc, prometheus.GaugeValue, up, id)
		ch <- prometheus.MustNewConstMetric(modelsDegradedDesc, prometheus.GaugeValue, float64(len(st.Models)), id)
	}
}
