package fakeupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// balanceJSON is the answer of GET /api/balance.
type balanceJSON struct {
	Included struct {
		BalanceUSD   *float64 `json:"balance_usd"`
		AllowanceUSD *float64 `json:"allowance_usd"`
		Period       struct {
			From  time.Time `json:"from"`
			Until time.Time `json:"until"`
		} `json:"period"`
	} `json:"included"`
	Purchased struct {
		BalanceUSD *float64 `json:"balance_usd"`
	} `json:"purchased"`
}

func TestBalance(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{})
	until := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	f.SetBalance("programmed", Balance{Included: 0, Allowance: 20, Purchased: 3.75, Until: until})
	f.SetFault("revoked", Fault{Status: 401})
	def := DefaultBalance(time.Now())
	tests := []struct {
		name, method, key string
		status            int
		want              Balance // compared when status is 200
		msg               string  // the error otherwise
	}{
		{"default", http.MethodGet, "plain", 200, def, ""},
		{"programmed", http.MethodGet, "programmed", 200, Balance{Allowance: 20, Purchased: 3.75, From: def.From, Until: until}, ""},
		{"revoked", http.MethodGet, "revoked", 401, Balance{}, "unauthorized"},
		{"no key", http.MethodGet, "", 401, Balance{}, "unauthorized"},
		{"post", http.MethodPost, "plain", 405, Balance{}, "method not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.mustDo(t, tt.method, "/api/balance", tt.key, "")
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if tt.status != 200 {
				checkNativeError(t, res, tt.status, tt.msg)
				return
			}
			var got balanceJSON
			if err := json.Unmarshal(res.body, &got); err != nil {
				t.Fatalf("%v: %s", err, res.body)
			}
			in, p := got.Included, got.Purchased
			if in.BalanceUSD == nil || *in.BalanceUSD != tt.want.Included || in.AllowanceUSD == nil || *in.AllowanceUSD != tt.want.Allowance ||
				p.BalanceUSD == nil || *p.BalanceUSD != tt.want.Purchased ||
				!in.Period.From.Equal(tt.want.From) || !in.Period.Until.Equal(tt.want.Until) {
				t.Errorf("got %s, want %+v", res.body, tt.want)
			}
		})
	}
	if !def.From.Before(time.Now()) || !def.Until.After(time.Now()) || def.From.Day() != 1 || def.Until.Day() != 1 {
		t.Errorf("default period %v – %v does not hold now", def.From, def.Until)
	}
}

func TestBalanceRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		limit  int
		sent   int
		wantOK int
	}{
		{"default as Ollama", 0, 13, DefaultBalanceLimit},
		{"three", 3, 5, 3},
		{"off", -1, 40, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t, Options{BalanceLimit: tt.limit})
			ok := 0
			for i := range tt.sent {
				res := f.mustDo(t, http.MethodGet, "/api/balance", "busy", "")
				switch {
				case res.status == 200:
					ok++
					if i >= tt.wantOK {
						t.Errorf("request %d: 200 past the limit", i+1)
					}
				case res.status == 429:
					ra, err := strconv.Atoi(res.header.Get("Retry-After"))
					if err != nil || ra < 1 || ra > 60 {
						t.Errorf("request %d: Retry-After %q", i+1, res.header.Get("Retry-After"))
					}
					checkNativeError(t, res, 429, "too many requests, please slow down")
				default:
					t.Fatalf("request %d: %d %s", i+1, res.status, res.body)
				}
			}
			if ok != tt.wantOK {
				t.Errorf("%d answered, want %d", ok, tt.wantOK)
			}
			// Every key is its own account; other routes have no such limit.
			if res := f.mustDo(t, http.MethodGet, "/api/balance", "other", ""); res.status != 200 {
				t.Errorf("another key: %d", res.status)
			}
			if res := f.mustDo(t, http.MethodGet, "/api/tags", "busy", ""); res.status != 200 {
				t.Errorf("tags: %d", res.status)
			}
			want := Counts{Requests: int64(tt.sent + 1), OK: int64(tt.wantOK + 1), Failed: int64(tt.sent - tt.wantOK)}
			if got := f.Counts("busy"); got != want {
				t.Errorf("counts %+v, want %+v", got, want)
			}
			f.Reset()
			if res := f.mustDo(t, http.MethodGet, "/api/balance", "busy", ""); res.status != 200 {
				t.Errorf("after Reset: %d", res.status)
			}
		})
	}
}

func TestPathRequests(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{BalanceLimit: -1})
	for i := range 3 {
		f.mustDo(t, http.MethodGet, "/api/balance", fmt.Sprintf("k%d", i), "")
	}
	f.mustDo(t, http.MethodPost, "/v1/chat/completions", "k0", chatBody)
	f.mustDo(t, http.MethodPost, "/v1/chat/completions", "", chatBody)
	f.mustDo(t, http.MethodGet, "/v1/chat/completions", "k0", "")
	f.mustDo(t, http.MethodGet, "/nowhere", "k0", "")
	tests := []struct {
		path string
		want int64
	}{
		{"/api/balance", 3},
		{"/v1/chat/completions", 3}, // refused ones too: they reached the route
		{"/api/v1/chat/completions", 0},
		{"/nowhere", 0},
	}
	for _, tt := range tests {
		if got := f.PathRequests(tt.path); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.path, got, tt.want)
		}
	}
	if got := f.Total().Requests; got != 7 {
		t.Errorf("total %d, want 7", got)
	}
	f.Reset()
	if got := f.PathRequests("/api/balance"); got != 0 {
		t.Errorf("after Reset: %d", got)
	}
}
