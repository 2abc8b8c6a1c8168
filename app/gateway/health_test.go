package gateway_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// /health answers a superset of the original's: status, service, version,
// providers.<id>.{enabled, configured}, timestamp (RFC 3339) and uptime
// (seconds), with Keypool's database, key counts, upstream and cluster,
// for both providers, one switched off and one left out by DISABLE_*.
func TestHealthIsASupersetOfTheOriginal(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"DISABLE_OPENROUTER": "true"})
	e.importKeys("ollama", "sk-health-0123456789abcdef")

	status, body, _ := e.do("GET", "/health", "", nil)
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	types := map[string]string{"status": "string", "service": "string", "version": "string", "database": "string",
		"timestamp": "string", "uptime": "number", "providers": "object", "cluster": "object"}
	for field, want := range types {
		if got := jsonType(raw[field]); got != want {
			t.Errorf("%s is %s, want %s: %s", field, got, want, body)
		}
	}

	h := e.health()
	if h.Status != "ok" || h.Service != "keypool" || h.Version == "" || h.Database != "ok" || h.Uptime < 0 {
		t.Errorf("report: %+v", h)
	}
	if at, err := time.Parse(time.RFC3339, h.Timestamp); err != nil || time.Since(at) > time.Minute {
		t.Errorf("timestamp %q: %v", h.Timestamp, err)
	}
	tests := []struct {
		provider            string
		enabled, configured bool
		total               int
		status              string
	}{
		{"ollama", true, true, 1, "ok"},
		{"openrouter", false, false, 0, "disabled"},
	}
	for _, tt := range tests {
		p, ok := h.Providers[tt.provider]
		if !ok || p.Enabled != tt.enabled || p.Configured != tt.configured || p.Total != tt.total || p.Status != tt.status {
			t.Errorf("%s: %+v, want enabled %v configured %v total %d status %s", tt.provider, p, tt.enabled, tt.configured, tt.total, tt.status)
		}
	}
	if !h.Providers["ollama"].Upstream.Up {
		t.Errorf("ollama upstream: %+v", h.Providers["ollama"])
	}

	e.call("POST", "/admin/providers/ollama/disable", nil, 200, "")
	if p := e.health().Providers["ollama"]; p.Enabled || !p.Configured || p.Total != 1 {
		t.Errorf("switched off: %+v", p)
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "missing"
	}
	return "?"
}

// GET /api/test-templates is the gateway's own, not Ollama's native API:
// it answers without a token, is never proxied, and still answers with
// DISABLE_OLLAMA; so does /api-docs.
func TestTestTemplatesRoute(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{nil, {"DISABLE_OLLAMA": "true"}} {
		e := newTestEnv(t, "sqlite", env)
		status, body, _ := e.do("GET", "/api/test-templates", "", nil)
		var out struct {
			Templates []struct {
				ID, Label, Description, SystemPrompt, UserMessage string
				Temperature                                       *float64
				Stream                                            *bool
			}
		}
		if status != http.StatusOK || json.Unmarshal(body, &out) != nil || len(out.Templates) == 0 {
			t.Fatalf("%v: %d %s", env, status, body)
		}
		for _, tpl := range out.Templates {
			if tpl.ID == "" || tpl.Label == "" || tpl.SystemPrompt == "" || tpl.UserMessage == "" || tpl.Temperature == nil || tpl.Stream == nil {
				t.Errorf("%v: template %+v", env, tpl)
			}
		}
		if n := e.fake.Total().Requests; n != 0 {
			t.Errorf("%v: the templates reached the upstream %d times", env, n)
		}
		// Nor does a disabled Ollama's /api take the pages beside it.
		if status, body, _ := e.do("GET", "/api-docs", "", nil); status != http.StatusOK {
			t.Errorf("%v: /api-docs: %d %.200s", env, status, body)
		}
	}
}
