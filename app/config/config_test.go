package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func load(env map[string]string) (Config, error) {
	return Load(func(k string) string { return env[k] })
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "./data" || c.ListenAddr != ":8080" || c.MaxRetries != 3 || c.KeyFailureThreshold != 3 ||
		c.KeyCooldown != time.Hour || c.UpstreamTimeout != time.Minute || c.MaxBodyBytes != 16<<20 ||
		c.RateLimitRequests != 60 || c.RateLimitWindow != time.Minute || c.StatsFlushInterval != 2*time.Second ||
		c.StatsRetentionDays != 30 || c.EnableRateLimit || c.OllamaBaseURL != "https://ollama.com" ||
		c.OpenRouterBaseURL != "https://openrouter.ai/api" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestParsing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env   map[string]string
		check func(Config) bool
	}{
		{map[string]string{"RATE_LIMIT_WINDOW": "60"}, func(c Config) bool { return c.RateLimitWindow == time.Minute }},
		{map[string]string{"RATE_LIMIT_WINDOW": "90s"}, func(c Config) bool { return c.RateLimitWindow == 90*time.Second }},
		{map[string]string{"KEY_COOLDOWN": "1h30m"}, func(c Config) bool { return c.KeyCooldown == 90*time.Minute }},
		{map[string]string{"ENABLE_RATE_LIMIT": "1"}, func(c Config) bool { return c.EnableRateLimit }},
		{map[string]string{"ENABLE_RATE_LIMIT": "TRUE"}, func(c Config) bool { return c.EnableRateLimit }},
		{map[string]string{"DISABLE_OLLAMA": "0"}, func(c Config) bool { return !c.DisableOllama }},
		{map[string]string{"SUPABASE_REST_URL": "https://x.supabase.co/rest/v1", "SUPABASE_SERVICE_ROLE_KEY": "ey"},
			func(c Config) bool { return len(c.Ignored) == 2 }},
		{map[string]string{"MAX_RETRIES": " 5 "}, func(c Config) bool { return c.MaxRetries == 5 }},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1 ::1"}, func(c Config) bool {
			return fmt.Sprint(c.TrustedProxies) == "[10.0.0.0/8 127.0.0.1/32 ::1/128]"
		}},
		{map[string]string{"METRICS_TOKEN": "m"}, func(c Config) bool { return c.MetricsToken == "m" }},
		{nil, func(c Config) bool { return c.LogLevel == "info" }},
		{map[string]string{"LOG_LEVEL": "debug"}, func(c Config) bool { return c.LogLevel == "debug" }},
		{map[string]string{"LOG_LEVEL": " WARN "}, func(c Config) bool { return c.LogLevel == "warn" }},
		{map[string]string{"LOG_LEVEL": "Error"}, func(c Config) bool { return c.LogLevel == "error" }},
		{nil, func(c Config) bool { return c.AdminRequestTimeout == 30*time.Second }},
		{map[string]string{"ADMIN_REQUEST_TIMEOUT": "90"}, func(c Config) bool { return c.AdminRequestTimeout == 90*time.Second }},
		{map[string]string{"ADMIN_REQUEST_TIMEOUT": "1s"}, func(c Config) bool { return c.AdminRequestTimeout == time.Second }},
		{nil, func(c Config) bool { return fmt.Sprint(c.CORSOrigins) == "[*]" && !c.ModelsRequireToken }},
		{map[string]string{"CORS_ORIGINS": " * "}, func(c Config) bool { return fmt.Sprint(c.CORSOrigins) == "[*]" }},
		{map[string]string{"CORS_ORIGINS": "https://Chat.Example.com/, http://localhost:3000 https://*.example.org"}, func(c Config) bool {
			return fmt.Sprint(c.CORSOrigins) == "[https://chat.example.com http://localhost:3000 https://*.example.org]"
		}},
		{map[string]string{"MODELS_REQUIRE_TOKEN": "true"}, func(c Config) bool { return c.ModelsRequireToken }},
		{nil, func(c Config) bool { return c.DisplayTimezone == time.UTC && c.DefaultLanguage == "en" }},
		{map[string]string{"DISPLAY_TIMEZONE": " Asia/Shanghai "}, func(c Config) bool { return c.DisplayTimezone.String() == "Asia/Shanghai" }},
		{map[string]string{"DEFAULT_LANGUAGE": "ZH"}, func(c Config) bool { return c.DefaultLanguage == "zh" }},
	}
	for _, tt := range tests {
		c, err := load(tt.env)
		if err != nil || !tt.check(c) {
			t.Errorf("%v: %+v, %v", tt.env, c, err)
		}
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	for name, value := range map[string]string{
		"MAX_RETRIES": "0", "KEY_FAILURE_THRESHOLD": "x", "KEY_COOLDOWN": "soon", "ENABLE_RATE_LIMIT": "maybe",
		"MAX_BODY_BYTES": "-1", "STATS_FLUSH_INTERVAL": "-5s", "TRUSTED_PROXIES": "10.0.0.0/33",
		"LOG_LEVEL": "verbose", "ADMIN_REQUEST_TIMEOUT": "500ms", "MODELS_REQUIRE_TOKEN": "sometimes",
		"DISPLAY_TIMEZONE": "Mars/Olympus", "DEFAULT_LANGUAGE": "fr",
	} {
		_, err := load(map[string]string{name: value})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, value, err)
		}
	}
}

// A CORS_ORIGINS entry that is not an origin a browser would send stops
// the start, naming the variable: Fiber's CORS middleware would panic on
// some of them.
func TestBadCORSOrigins(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"chat.example.com", "https://chat.example.com/app", "ftp://example.com",
		"https://", "*,https://a.example.com", "https://a.example.com?x=1", "https://user@a.example.com", "https://*"} {
		_, err := load(map[string]string{"CORS_ORIGINS": v})
		if err == nil || !strings.Contains(err.Error(), "CORS_ORIGINS") {
			t.Errorf("CORS_ORIGINS=%s: %v", v, err)
		}
	}
}
