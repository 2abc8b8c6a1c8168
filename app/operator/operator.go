// Package operator is what an operator can do to a running Keypool: add,
// import, delete, enable, disable and probe keys; make and delete client
// tokens; switch providers; read the statistics; run and follow the jobs
// that probe keys in the background. Its two faces, the admin JSON API
// (app/admin) and the dashboard (app/web), decode a request, call an
// action and show its result; neither knows the other. Actions take a
// context first, know nothing of HTTP, and refuse with an *Error.
package operator

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/memo"
	"github.com/keypool/keypool/app/probe"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/respcache"
)

// Config is what the actions take from the configuration.
type Config struct {
	MaxImportBytes      int           // MAX_IMPORT_BYTES
	ValidateConcurrency int           // VALIDATE_CONCURRENCY: key probes in flight at once
	ProbeTimeout        time.Duration // PROBE_TIMEOUT: one key probe
	OllamaProbeModel    string        // OLLAMA_PROBE_MODEL: empty probes Ollama keys with the free GET /api/balance
	PublicStatsTTL      time.Duration // how long public statistics are served from memory
	Cache               ResponseCache // the response cache; nil when CACHE_TTL is 0
}

// ResponseCache is what the actions read and clear of the response cache.
type ResponseCache interface {
	Stats(ctx context.Context, provider string) (respcache.Stats, error)
	Clear(ctx context.Context, provider string) (int, error)
}

// Service runs the actions for the enabled providers. Start it before the
// first job and Stop it at shutdown: jobs run in the background, past the
// request that started them.
type Service struct {
	cfg       Config
	providers map[string]*backend.Provider
	log       *slog.Logger
	now       func() time.Time

	ids         *keyIDs
	jobs        *jobs.Registry
	prober      *probe.Prober
	concurrency int // probes in flight per job

	public    *memo.Memo[*PublicFigures]
	publicTTL time.Duration
	reader    func(*backend.Provider) statsReader // the provider's store; tests wrap it

	base   context.Context // of background jobs: Stop cancels it
	stop   context.CancelFunc
	jobsWG sync.WaitGroup
}

// New returns the actions over the enabled providers.
func New(cfg Config, providers map[string]*backend.Provider, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := cfg.ValidateConcurrency
	if n <= 0 {
		n = probe.DefaultConcurrency
	}
	ttl := cfg.PublicStatsTTL
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	s := &Service{cfg: cfg, providers: providers, log: log, now: time.Now, ids: newKeyIDs(),
		jobs: jobs.NewRegistry(jobs.Config{}), concurrency: n, public: memo.New[*PublicFigures](), publicTTL: ttl,
		reader: func(p *backend.Provider) statsReader { return p.Store }}
	s.base, s.stop = context.WithCancel(context.Background())
	return s
}

// Start makes the prober the jobs use. Jobs started before Start fail.
func (s *Service) Start(context.Context) error {
	s.prober = probe.New(probe.Config{Timeout: s.cfg.ProbeTimeout, OllamaProbeModel: s.cfg.OllamaProbeModel, Log: s.log})
	return nil
}

// Stop cancels the background jobs (imports with validation, health
// checks) and waits for them until ctx ends, so none outlives the gateway
// or writes to a closed database.
func (s *Service) Stop(ctx context.Context) error {
	s.stop()
	done := make(chan struct{})
	go func() { s.jobsWG.Wait(); close(done) }()
	select {
	case <-done:
		if s.prober != nil {
			s.prober.Close()
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("operator: background jobs still running: %w", ctx.Err())
	}
}

// Provider resolves a provider id ("" → ollama) among the enabled ones.
func (s *Service) Provider(id string) (*backend.Provider, error) {
	if id == "" {
		id = provider.Ollama
	}
	if p, ok := s.providers[id]; ok {
		return p, nil
	}
	if id == provider.Ollama || id == provider.OpenRouter {
		return nil, refuse(KindNotFound, "provider %q is disabled", id)
	}
	return nil, invalid("provider", "unknown provider %q: use ollama or openrouter", id)
}
