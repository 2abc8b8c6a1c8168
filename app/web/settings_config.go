package web

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keypool/keypool/app/config"
	"github.com/keypool/keypool/views"
)

// masked stands for a secret on the settings page.
const masked = "••••••••"

// maskSentinel marks a secret's place in a URL until it is rendered.
const maskSentinel = "KPSECRETMASKED"

// configEntries lists the effective configuration under its environment
// variables' names, in the README's order. Secrets are masked: tokens
// whole, the passwords inside DATABASE_URL and REDIS_URL. A variable not
// listed here is not shown at all (a test lists the ones missing).
func configEntries(c config.Config) []views.ConfigEntry {
	str := func(s string) string {
		if s == "" {
			return "(empty)"
		}
		return s
	}
	dbURL := "(empty: embedded SQLite in DATA_DIR)"
	if c.DatabaseURL != "" {
		dbURL = maskURL(c.DatabaseURL)
	}
	e := func(name, value string) views.ConfigEntry { return views.ConfigEntry{Name: name, Value: value} }
	return []views.ConfigEntry{
		e("DATABASE_URL", dbURL),
		e("DATA_DIR", str(c.DataDir)),
		e("REDIS_URL", str(maskURL(c.RedisURL))),
		e("ADMIN_TOKEN", secret(c.AdminToken)),
		e("LISTEN_ADDR", str(c.ListenAddr)),
		e("LOG_LEVEL", str(c.LogLevel)),
		e("DISPLAY_TIMEZONE", zoneName(c.DisplayTimezone)),
		e("DEFAULT_LANGUAGE", str(c.DefaultLanguage)),
		e("DISABLE_OLLAMA", strconv.FormatBool(c.DisableOllama)),
		e("DISABLE_OPENROUTER", strconv.FormatBool(c.DisableOpenRouter)),
		e("OLLAMA_BASE_URL", str(maskURL(c.OllamaBaseURL))),
		e("OPENROUTER_BASE_URL", str(maskURL(c.OpenRouterBaseURL))),
		e("OPENROUTER_APP_URL", str(c.OpenRouterAppURL)),
		e("OPENROUTER_APP_TITLE", str(c.OpenRouterTitle)),
		e("MAX_RETRIES", strconv.Itoa(c.MaxRetries)),
		e("KEY_FAILURE_THRESHOLD", strconv.Itoa(c.KeyFailureThreshold)),
		e("KEY_COOLDOWN", dur(c.KeyCooldown)),
		e("UPSTREAM_TIMEOUT", dur(c.UpstreamTimeout)),
		e("STREAM_IDLE_TIMEOUT", dur(c.StreamIdleTimeout)),
		e("MAX_BODY_BYTES", formatInt(int64(c.MaxBodyBytes))),
		e("MAX_IMPORT_BYTES", formatInt(int64(c.MaxImportBytes))),
		e("MAX_RESPONSE_BYTES", formatInt(int64(c.MaxResponseBytes))),
		e("READ_TIMEOUT", c.ReadTimeout.String()),
		e("IDLE_TIMEOUT", c.IdleTimeout.String()),
		e("ADMIN_REQUEST_TIMEOUT", c.AdminRequestTimeout.String()),
		e("VALIDATE_CONCURRENCY", strconv.Itoa(c.ValidateConcurrency)),
		e("PROBE_TIMEOUT", dur(c.ProbeTimeout)),
		e("OLLAMA_PROBE_MODEL", str(c.OllamaProbeModel)),
		e("ENABLE_RATE_LIMIT", strconv.FormatBool(c.EnableRateLimit)),
		e("RATE_LIMIT_REQUESTS", strconv.Itoa(c.RateLimitRequests)),
		e("RATE_LIMIT_WINDOW", dur(c.RateLimitWindow)),
		e("TRUSTED_PROXIES", str(prefixes(c.TrustedProxies))),
		e("METRICS_TOKEN", secret(c.MetricsToken)),
		e("CORS_ORIGINS", strings.Join(c.CORSOrigins, ", ")),
		e("SYNC_INTERVAL", dur(c.SyncInterval)),
		e("STATS_ENABLED", strconv.FormatBool(c.StatsEnabled)),
		e("STATS_FLUSH_INTERVAL", dur(c.StatsFlushInterval)),
		e("STATS_RETENTION_DAYS", strconv.Itoa(c.StatsRetentionDays)),
		e("STREAM_USAGE", strconv.FormatBool(c.StreamUsage)),
		e("CACHE_TTL", dur(c.CacheTTL)),
		e("CACHE_ALL", strconv.FormatBool(c.CacheAll)),
		e("CACHE_MAX_BYTES", formatInt(int64(c.CacheMaxBytes))),
		e("MODELS_CACHE_TTL", dur(c.ModelsCacheTTL)),
		e("MODELS_REQUIRE_TOKEN", strconv.FormatBool(c.ModelsRequireToken)),
		e("PUBLIC_STATS_TTL", dur(c.PublicStatsTTL)),
		e("STATS_PAGE_REFRESH", dur(c.StatsPageRefresh)),
	}
}

// secret shows whether a secret is set, never the secret.
func secret(s string) string {
	if s == "" {
		return "(empty)"
	}
	return masked + " (set)"
}

func prefixes(ps []netip.Prefix) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}

func dur(d time.Duration) string {
	if d == 0 {
		return "0 (off)"
	}
	return d.String()
}

// secretParams are query parameters of a connection URL that hold secrets.
var secretParams = []string{"password", "sslpassword", "sslkey", "pass", "secret", "token"}

// maskURL hides the password of a connection URL (user info and query);
// an URL it cannot parse is hidden whole.
func maskURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return masked + " (not shown: not a URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), maskSentinel)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			for _, s := range secretParams {
				if strings.EqualFold(k, s) {
					q.Set(k, maskSentinel)
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	return strings.ReplaceAll(u.String(), maskSentinel, masked)
}

// zoneName is a time zone's IANA name; nil is UTC.
func zoneName(z *time.Location) string {
	if z == nil {
		return "UTC"
	}
	return z.String()
}
