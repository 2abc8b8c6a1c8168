package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
)

// classify per DESIGN.md's key-state table: what is about the key marks
// it; what is about the upstream as a whole is left to app/health.
func TestClassify(t *testing.T) {
	t.Parallel()
	ollama, openrouter := provider.New(provider.Ollama, ""), provider.New(provider.OpenRouter, "")
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	extra := []byte(`{"error":"this model uses extra usage only (not included plan usage) and your extra usage balance is empty"}`)
	tests := []struct {
		name   string
		p      *provider.Provider
		status int
		header http.Header
		body   []byte
		want   verdict
	}{
		{"200", ollama, 200, nil, nil, verdict{event: pool.Success, mark: true}},
		{"401", ollama, 401, nil, nil, verdict{retry: true, event: pool.Invalid, mark: true}},
		{"402 openrouter: no credits", openrouter, 402, nil, []byte(`{"error":{"code":402,"message":"Insufficient credits"}}`), verdict{retry: true, event: pool.Invalid, mark: true}},
		{"402 ollama for one model", ollama, 402, nil, extra, verdict{retry: true, modelOut: true}},
		{"402 ollama for the key", ollama, 402, nil, []byte(`{"error":"payment required"}`), verdict{retry: true, event: pool.Invalid, mark: true}},
		{"402 openrouter with the same words", openrouter, 402, nil, extra, verdict{retry: true, event: pool.Invalid, mark: true}},
		{"403 ollama", ollama, 403, nil, nil, verdict{retry: true, event: pool.Invalid, mark: true}},
		{"403 openrouter: moderation", openrouter, 403, nil, nil, verdict{}},
		{"408", openrouter, 408, nil, nil, verdict{retry: true, upstream: true}},
		{"500", ollama, 500, nil, nil, verdict{retry: true, upstream: true}},
		{"503", ollama, 503, nil, nil, verdict{retry: true, upstream: true}},
		{"429 Retry-After", ollama, 429, http.Header{"Retry-After": {"7"}}, nil,
			verdict{retry: true, event: pool.RateLimited, until: now.Add(7 * time.Second), mark: true}},
		{"429 hourly quota", ollama, 429, nil, []byte(`{"error":"you've reached your hourly usage limit"}`),
			verdict{retry: true, event: pool.QuotaExhausted, until: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC), mark: true}},
		{"400", ollama, 400, nil, nil, verdict{}},
		{"404", openrouter, 404, nil, nil, verdict{}},
		{"422", ollama, 422, nil, nil, verdict{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			got := classify(tt.p, tt.status, h, tt.body, now)
			if got.retry != tt.want.retry || got.event != tt.want.event || !got.until.Equal(tt.want.until) ||
				got.mark != tt.want.mark || got.upstream != tt.want.upstream || got.modelOut != tt.want.modelOut {
				t.Errorf("classify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none: the default", http.Header{}, defaultCooldown},
		{"seconds", http.Header{"Retry-After": {"12"}}, 12 * time.Second},
		{"fractional seconds", http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{"HTTP date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		{"OpenRouter reset in ms", http.Header{"X-Ratelimit-Reset": {"1773478840000"}}, 40 * time.Second},
		{"past: the default", http.Header{"Retry-After": {"-5"}}, defaultCooldown},
		{"capped at an hour", http.Header{"Retry-After": {"86400"}}, maxCooldown},
		{"garbage: the default", http.Header{"Retry-After": {"soon"}}, defaultCooldown},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// quotaWindow tells a quota-exhausted 429 from a plain rate limit by its
// text, and puts the window's end where each provider resets it: the
// hourly window and OpenRouter's day on UTC boundaries, whatever the
// local zone.
func TestQuotaWindow(t *testing.T) {
	t.Parallel()
	cet := time.FixedZone("CET", 3600)
	morning := time.Date(2026, 3, 14, 9, 26, 53, 0, cet)     // 08:26:53 UTC
	pastMidnight := time.Date(2026, 3, 15, 0, 30, 0, 0, cet) // 23:30 UTC on the 14th
	tests := []struct {
		name   string
		now    time.Time
		body   string
		want   time.Time
		wantOK bool
	}{
		{"ollama hourly: the next UTC hour", morning, `{"error":"you've reached your hourly usage limit, please upgrade"}`,
			time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), true},
		{"ollama hourly past local midnight: the UTC hour", pastMidnight, `{"error":"hourly usage limit"}`,
			time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), true},
		{"ollama session: five hours on", morning, `{"error":"you've reached your session usage limit"}`,
			morning.Add(5 * time.Hour), true},
		{"ollama weekly: seven days on", morning, `{"error":"you've reached your weekly usage limit"}`,
			morning.Add(7 * 24 * time.Hour), true},
		{"any case", morning, `{"error":"Hourly Usage Limit reached"}`,
			time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), true},
		{"openrouter free models per day: the next UTC midnight", morning,
			`{"error":{"message":"Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day","code":429}}`,
			time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), true},
		{"openrouter free models per day past local midnight: still the UTC day", pastMidnight,
			`{"error":{"message":"Rate limit exceeded: free-models-per-day","code":429}}`,
			time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), true},
		{"plain rate limit: no quota", morning, `{"error":"rate limit exceeded, please try again later"}`, time.Time{}, false},
		{"openrouter per-minute limit: no quota", morning, `{"error":{"message":"Rate limit exceeded: free-models-per-min.","code":429}}`, time.Time{}, false},
		{"empty body: no quota", morning, ``, time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := quotaWindow([]byte(tt.body), tt.now)
		if ok != tt.wantOK || !got.Equal(tt.want) {
			t.Errorf("%s: quotaWindow = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}
