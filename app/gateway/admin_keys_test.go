package gateway_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// TestAdminKeyLifecycle adds, lists, filters, disables, enables and
// deletes keys through the real server, and checks that the pool follows
// each change at once.
func TestAdminKeyLifecycle(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, nil)
		plain, slash, third := "sk-plain-0123456789abcdef", "sk-with/slash+plus%-0123456789", "sk-third-0123456789abcdef"
		var added keyJSON
		data := e.call("POST", "/admin/api-keys", map[string]any{"api_key": " " + plain + " ", "username": "alice@example.com",
			"expires_at": "2099-01-01T00:00:00Z"}, 201, "")
		if err := json.Unmarshal(data, &added); err != nil {
			t.Fatal(err)
		}
		if added.APIKey != "sk-pla…cdef" || added.ID != keyIDOf(plain) || added.Status != "active" ||
			added.Username != "alice@example.com" || strings.Contains(string(data), plain) ||
			!strings.Contains(string(data), `"expires_at":"2099-01-01T00:00:00Z"`) {
			t.Fatalf("added key: %s", data)
		}
		e.importKeys("ollama", slash, third)
		if h := e.health().Providers["ollama"]; h.Total != 3 {
			t.Fatalf("pool after add: %+v", h)
		}
		token := e.createToken("ollama")
		e.chatUntil(token, plain) // the pool serves the added key at once

		// Newest first; the imported pair shares a created_at, ties by key.
		l := e.listKeys("")
		if l.Total != 3 || l.Page != 1 || l.PerPage != 50 || len(l.Keys) != 3 ||
			l.Keys[0].ID != keyIDOf(slash) || l.Keys[1].ID != keyIDOf(third) || l.Keys[2].ID != keyIDOf(plain) {
			t.Fatalf("list: %+v", l)
		}
		for query, want := range map[string][]string{
			"q=ALICE":                      {plain},
			"q=slash%2B":                   {slash},
			"q=-0123456789abcdef":          {third, plain},
			"per_page=1&page=2":            {third},
			"per_page=2&page=3":            {},
			"sort=created_at&order=asc":    {plain, third, slash},
			"status=active&order=asc":      {plain, third, slash},
			"status=failed":                {},
			"sort=status&q=sk-&per_page=1": {plain},
		} {
			if got := ids(e.listKeys(query)); strings.Join(got, ",") != strings.Join(idsOf(want...), ",") {
				t.Errorf("?%s = %v, want %v", query, got, idsOf(want...))
			}
		}
		eventually(t, 10*time.Second, "usage in the listing, most used first", func() bool {
			l, served := e.listKeys("sort=requests"), int64(0)
			for i, k := range l.Keys {
				if i > 0 && k.Stats.TotalRequests > l.Keys[i-1].Stats.TotalRequests {
					t.Fatalf("sort=requests out of order: %+v", l)
				}
				if k.ID == keyIDOf(plain) {
					served = k.Stats.SuccessCount
				}
			}
			return served >= 1
		})

		// A 429 rests a key in memory only: the cooling_down filter asks the pool.
		e.fake.Reset()
		e.fake.SetFault(third, fakeupstream.Fault{Status: 429, RetryAfter: "120", Message: "too many requests, slow down"})
		e.chatUntil(token, third)
		e.fake.ClearFaults()
		if l := e.listKeys("status=cooling_down"); l.Total != 1 || l.Keys[0].ID != keyIDOf(third) || l.Keys[0].Status != "active" ||
			l.Keys[0].CoolingDownUntil == nil || time.Until(*l.Keys[0].CoolingDownUntil) < 100*time.Second {
			t.Fatalf("cooling_down: %+v", l)
		}

		// Disable by id for an hour, then by key until enabled.
		k := e.keyAction("disable", map[string]any{"id": keyIDOf(slash), "duration": 3600})
		if k.Status != "disabled" || k.DisabledUntil == nil || time.Until(*k.DisabledUntil) < 3590*time.Second {
			t.Fatalf("disabled for an hour: %+v", k)
		}
		if k := e.keyAction("disable", map[string]any{"api_key": plain}); k.Status != "disabled" || k.DisabledUntil != nil {
			t.Fatalf("disabled until enabled: %+v", k)
		}
		if h := e.health().Providers["ollama"]; h.Disabled != 2 || h.CoolingDown != 1 || h.Available != 0 {
			t.Fatalf("pool after disable: %+v", h)
		}
		eventually(t, 5*time.Second, "disabled keys in the store", func() bool { return e.listKeys("status=disabled").Total == 2 })
		if k := e.keyAction("enable", map[string]any{"api_key": plain}); k.Status != "active" || k.DisabledUntil != nil || k.ConsecutiveFailures != 0 {
			t.Fatalf("enabled: %+v", k)
		}
		if k := e.keyAction("enable", map[string]any{"api_key": keyIDOf(slash)}); k.Status != "active" {
			t.Fatalf("enabled by id: %+v", k)
		}

		// Delete by the escaped key in the path, then (after a restart, so
		// that ids are looked up again) by id and key together.
		if data := e.call("DELETE", "/admin/api-keys/"+url.PathEscape(slash), nil, 200, ""); string(data) != `{"success":true,"deleted":1}` {
			t.Fatalf("delete by path: %s", data)
		}
		if h := e.health().Providers["ollama"]; h.Total != 2 {
			t.Fatalf("pool after delete: %+v", h)
		}
		e.stop()
		e.start()
		data = e.call("DELETE", "/admin/api-keys", map[string]any{"api_keys": []string{keyIDOf(third), plain, "sk-nope-0123456789"}}, 200, "")
		if string(data) != `{"success":true,"deleted":2,"failed":1,"total":3}` {
			t.Fatalf("delete many: %s", data)
		}
		if h := e.health().Providers["ollama"]; h.Total != 0 || e.listKeys("").Total != 0 {
			t.Fatalf("after deleting all: %+v", h)
		}
	})
}

// keyAction posts to /admin/keys/{action} and decodes the key answered.
func (e *testEnv) keyAction(action string, body any) keyJSON {
	e.t.Helper()
	var k keyJSON
	if err := json.Unmarshal(e.call("POST", "/admin/keys/"+action, body, 200, ""), &k); err != nil {
		e.t.Fatal(err)
	}
	return k
}

func ids(l keyListJSON) []string {
	out := []string{}
	for _, k := range l.Keys {
		out = append(out, k.ID)
	}
	return out
}

func idsOf(keys ...string) []string {
	out := []string{}
	for _, k := range keys {
		out = append(out, keyIDOf(k))
	}
	return out
}
