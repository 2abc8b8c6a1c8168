// Package config reads Keypool's configuration from the environment once,
// applies defaults and validates it, failing with the variable's name.
package config

import (
	"fmt"
	"math"
	"net/netip"
	"time"
)

// Config is every setting the gateway reads, parsed and validated.
type Config struct {
	DatabaseURL string // empty → SQLite file in DataDir
	DataDir     string
	RedisURL    string
	AdminToken  string // empty → generated on first start and kept in DataDir
	ListenAddr  string
	LogLevel    string

	DisableOllama     bool
	DisableOpenRouter bool
	OllamaBaseURL     string
	OpenRouterBaseURL string
	OpenRouterAppURL  string
	OpenRouterTitle   string

	MaxRetries          int
	KeyFailureThreshold int // distinct keys failing upstream-wide in a row that mark the provider (or a model) degraded
	KeyCooldown         time.Duration
	UpstreamTimeout     time.Duration
	StreamIdleTimeout   time.Duration
	ReadTimeout         time.Duration // a client's whole request must arrive within this
	IdleTimeout         time.Duration // a kept-alive client connection may idle this long
	AdminRequestTimeout time.Duration // deadline of one admin API or page request (streams written after the handler excepted)
	MaxBodyBytes        int           // largest client request body on the proxy routes
	MaxImportBytes      int           // largest admin import body
	MaxResponseBytes    int           // largest whole (non-stream) upstream answer
	ValidateConcurrency int           // key probes in flight at once (imports with validation, health checks)
	ProbeTimeout        time.Duration
	OllamaProbeModel    string // empty: Ollama keys are probed with GET /api/balance; set: a 1-token chat with this model

	EnableRateLimit   bool
	RateLimitRequests int
	RateLimitWindow   time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For and
	// CF-Connecting-IP name the client (TRUSTED_PROXIES: CIDRs and IPs).
	TrustedProxies []netip.Prefix
	MetricsToken   string // non-empty: GET /metrics wants Authorization: Bearer METRICS_TOKEN
	// CORSOrigins are the browser origins the client, public and admin
	// routes answer (CORS_ORIGINS): ["*"] for any, else normalized
	// scheme://host[:port] origins ("https://*.example.com" for subdomains).
	CORSOrigins []string
	// ModelsRequireToken closes GET {prefix}/models and /api/tags to
	// callers without a client token (MODELS_REQUIRE_TOKEN).
	ModelsRequireToken bool
	// SyncInterval is how often an instance on PostgreSQL reads keys,
	// tokens and switches again, as a safety net behind the bus.
	SyncInterval time.Duration

	StatsEnabled       bool // STATS_ENABLED=false turns statistics off (benchmarks)
	StatsFlushInterval time.Duration
	StatsRetentionDays int
	StreamUsage        bool          // STREAM_USAGE=off: never ask Ollama streams for usage
	CacheTTL           time.Duration // response cache lifetime; 0: no response cache
	CacheAll           bool          // cache requests with a temperature above 0 too
	CacheMaxBytes      int           // bound of the in-memory response cache
	ModelsCacheTTL     time.Duration // how long GET /api/tags is cached
	PublicStatsTTL     time.Duration // how long public statistics are served from memory
	StatsPageRefresh   time.Duration // how often the public statistics page refreshes itself; 0: never

	// DisplayTimezone is the zone times are shown in (DISPLAY_TIMEZONE,
	// an IANA name, default UTC); storage stays UTC.
	DisplayTimezone *time.Location
	// DefaultLanguage is the pages' language when neither ?lang= nor
	// Accept-Language chooses one (DEFAULT_LANGUAGE: en or zh).
	DefaultLanguage string

	// Ignored holds variables of the original project that Keypool accepts
	// but does not use, so run can log them once.
	Ignored []string
}

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		DatabaseURL: r.str("DATABASE_URL", ""),
		DataDir:     r.str("DATA_DIR", "./data"),
		RedisURL:    r.str("REDIS_URL", ""),
		AdminToken:  r.str("ADMIN_TOKEN", ""),
		ListenAddr:  r.str("LISTEN_ADDR", ":8080"),
		LogLevel:    r.oneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"),

		DisableOllama:     r.boolean("DISABLE_OLLAMA", false),
		DisableOpenRouter: r.boolean("DISABLE_OPENROUTER", false),
		OllamaBaseURL:     r.str("OLLAMA_BASE_URL", "https://ollama.com"),
		OpenRouterBaseURL: r.str("OPENROUTER_BASE_URL", "https://openrouter.ai/api"),
		OpenRouterAppURL:  r.str("OPENROUTER_APP_URL", ""),
		OpenRouterTitle:   r.str("OPENROUTER_APP_TITLE", "Keypool"),

		MaxRetries:          r.integer("MAX_RETRIES", 3, 1, 100),
		KeyFailureThreshold: r.integer("KEY_FAILURE_THRESHOLD", 3, 1, 1000),
		KeyCooldown:         r.duration("KEY_COOLDOWN", time.Hour),
		UpstreamTimeout:     r.duration("UPSTREAM_TIMEOUT", 60*time.Second),
		StreamIdleTimeout:   r.duration("STREAM_IDLE_TIMEOUT", 120*time.Second),
		ReadTimeout:         r.duration("READ_TIMEOUT", 30*time.Second),
		IdleTimeout:         r.duration("IDLE_TIMEOUT", 120*time.Second),
		AdminRequestTimeout: r.durationAtLeast("ADMIN_REQUEST_TIMEOUT", 30*time.Second, time.Second),
		MaxBodyBytes:        r.integer("MAX_BODY_BYTES", 16<<20, 1024, 1<<30),
		MaxImportBytes:      r.integer("MAX_IMPORT_BYTES", 32<<20, 1024, 1<<30),
		MaxResponseBytes:    r.integer("MAX_RESPONSE_BYTES", 64<<20, 1024, 1<<30),
		ValidateConcurrency: r.integer("VALIDATE_CONCURRENCY", 8, 1, 1000),
		ProbeTimeout:        r.duration("PROBE_TIMEOUT", 15*time.Second),
		OllamaProbeModel:    r.str("OLLAMA_PROBE_MODEL", ""),

		EnableRateLimit:    r.boolean("ENABLE_RATE_LIMIT", false),
		RateLimitRequests:  r.integer("RATE_LIMIT_REQUESTS", 60, 1, 1<<30),
		RateLimitWindow:    r.duration("RATE_LIMIT_WINDOW", 60*time.Second),
		TrustedProxies:     r.proxies("TRUSTED_PROXIES"),
		MetricsToken:       r.str("METRICS_TOKEN", ""),
		CORSOrigins:        r.origins("CORS_ORIGINS"),
		ModelsRequireToken: r.boolean("MODELS_REQUIRE_TOKEN", false),
		SyncInterval:       r.duration("SYNC_INTERVAL", 30*time.Second),

		StatsEnabled:       r.boolean("STATS_ENABLED", true),
		StatsFlushInterval: r.duration("STATS_FLUSH_INTERVAL", 2*time.Second),
		StreamUsage:        r.boolean("STREAM_USAGE", true),
		StatsRetentionDays: r.integer("STATS_RETENTION_DAYS", 30, 1, 36500),
		CacheTTL:           r.duration("CACHE_TTL", 0),
		CacheAll:           r.boolean("CACHE_ALL", false),
		CacheMaxBytes:      r.integer("CACHE_MAX_BYTES", 64<<20, 1024, math.MaxInt),
		ModelsCacheTTL:     r.duration("MODELS_CACHE_TTL", 5*time.Minute),
		PublicStatsTTL:     r.duration("PUBLIC_STATS_TTL", 5*time.Second),
		StatsPageRefresh:   r.duration("STATS_PAGE_REFRESH", 30*time.Second),

		DisplayTimezone: r.location("DISPLAY_TIMEZONE", time.UTC),
		DefaultLanguage: r.oneOf("DEFAULT_LANGUAGE", "en", "en", "zh"),
	}
	for _, name := range []string{"SUPABASE_REST_URL", "SUPABASE_SERVICE_ROLE_KEY"} {
		if getenv(name) != "" {
			c.Ignored = append(c.Ignored, name)
		}
	}
	if r.err != nil {
		return Config{}, r.err
	}
	if c.DisableOllama && c.DisableOpenRouter {
		return Config{}, fmt.Errorf("config: DISABLE_OLLAMA and DISABLE_OPENROUTER are both set: no provider left to serve")
	}
	return c, nil
}
