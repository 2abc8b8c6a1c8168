package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tidwall/sjson"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/app/testkit/storetest"
)

// forEachDialect runs f on SQLite and, when configured, PostgreSQL.
func forEachDialect(t *testing.T, f func(t *testing.T, dialect string)) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}

func TestChatForwardsToTheProvider(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"OPENROUTER_APP_URL": "https://keypool.example"})
		for _, provider := range []string{"ollama", "openrouter"} {
			key := "sk-" + provider + "-0123456789abcdef"
			e.importKeys(provider, key)
			token := e.createToken(provider)
			for _, stream := range []bool{false, true} {
				status, body, hdr := e.do("POST", chatPath(provider), token, chatBody(stream))
				if status != http.StatusOK {
					t.Fatalf("%s stream=%v: %d %s", provider, stream, status, body)
				}
				got := e.fake.LastRequest(key)
				if got.Header.Get("Authorization") != "Bearer "+key {
					t.Errorf("%s: upstream Authorization = %q", provider, got.Header.Get("Authorization"))
				}
				if strings.Contains(string(got.Body), token) || strings.Contains(strings.Join(flatten(got.Header), " "), token) {
					t.Errorf("%s: the client token reached the upstream", provider)
				}
				want, _ := json.Marshal(chatBody(stream))
				if provider == "ollama" && stream {
					// Keypool asks Ollama streams for usage on the client's behalf.
					want, _ = sjson.SetBytes(want, "stream_options.include_usage", true)
				}
				if string(got.Body) != string(want) {
					t.Errorf("%s: body changed on the way:\n got %s\nwant %s", provider, got.Body, want)
				}
				if stream {
					if !strings.HasPrefix(hdr.Get("Content-Type"), "text/event-stream") || !strings.Contains(string(body), "data: [DONE]") {
						t.Errorf("%s: stream answer: %s %q", provider, hdr.Get("Content-Type"), body)
					}
					// The client sees the stream it asked for: no usage chunk
					// from Ollama, OpenRouter's own usage chunk as sent.
					if hasUsage := strings.Contains(string(body), `"usage"`); hasUsage != (provider == "openrouter") {
						t.Errorf("%s: usage in the client's stream = %v: %q", provider, hasUsage, body)
					}
				} else if !strings.Contains(string(body), `"usage"`) {
					t.Errorf("%s: JSON answer without usage: %s", provider, body)
				}
			}
			if c := e.fake.Counts(key); c.OK != 2 || c.Requests != 2 {
				t.Errorf("%s: upstream counts %+v, want 2 OK", provider, c)
			}
		}
		orReq := e.fake.LastRequest("sk-openrouter-0123456789abcdef")
		if orReq.Header.Get("HTTP-Referer") != "https://keypool.example" || orReq.Header.Get("X-Title") != "Keypool" {
			t.Errorf("OpenRouter attribution headers: %v", orReq.Header)
		}
	})
}

func flatten(h http.Header) []string {
	var out []string
	for k, vs := range h {
		out = append(out, k+": "+strings.Join(vs, ","))
	}
	return out
}

// The client's own headers go upstream, and its attribution wins over the
// configured defaults.
func TestClientHeadersForwarded(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	e.importKeys("openrouter", "sk-or-forwarded-0123456789")
	token := e.createToken("openrouter")
	req, _ := http.NewRequest("POST", e.url+chatPath("openrouter"), strings.NewReader(`{"model":"m","messages":[]}`))
	for k, v := range map[string]string{"Authorization": "Bearer " + token, "User-Agent": "cherry-studio/1.0",
		"Accept-Language": "zh-CN", "HTTP-Referer": "https://client.example", "X-Title": "Client", "Cookie": "secret=1"} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := e.fake.LastRequest("sk-or-forwarded-0123456789").Header
	for k, want := range map[string]string{"User-Agent": "cherry-studio/1.0", "Accept-Language": "zh-CN",
		"HTTP-Referer": "https://client.example", "X-Title": "Client", "Cookie": ""} {
		if got.Get(k) != want {
			t.Errorf("upstream %s = %q, want %q", k, got.Get(k), want)
		}
	}
}

// An upstream redirect reaches the client as it was sent: the gateway does
// not follow it, so the upstream key never goes to the address it names.
func TestUpstreamRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(other.Close)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v1/chat/completions", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(up.Close)
	e := newTestEnv(t, "sqlite", map[string]string{"OLLAMA_BASE_URL": up.URL, "DISABLE_OPENROUTER": "true"})
	e.importKeys("ollama", "sk-redirected-0123456789")
	token := e.createToken("ollama")

	req, _ := http.NewRequest("POST", e.url+chatPath("ollama"), strings.NewReader(`{"model":"m","messages":[]}`))
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != other.URL+"/v1/chat/completions" {
		t.Errorf("client got %d Location %q, want 307 to the other server", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want 0", n)
	}
}

func TestModelsCompletionsEmbeddings(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	e.importKeys("ollama", "sk-ollama-routes-0123456789")
	e.importKeys("openrouter", "sk-or-routes-0123456789")
	ot, rt := e.createToken("ollama"), e.createToken("openrouter")
	tests := []struct {
		method, path, token string
		body                any
		want                string
	}{
		{"GET", "/v1/models", ot, nil, `"object":"list"`},
		{"GET", "/ollama/v1/models", ot, nil, `"object":"list"`},
		{"GET", "/openrouter/v1/models", rt, nil, `"id":"openai/gpt-4o-mini"`},
		{"POST", "/v1/completions", ot, map[string]any{"model": "m", "prompt": "hi"}, `"text_completion"`},
		{"POST", "/openrouter/v1/completions", rt, map[string]any{"model": "m", "prompt": "hi"}, `"text_completion"`},
		{"POST", "/v1/embeddings", ot, map[string]any{"model": "m", "input": "hi"}, `"embedding"`},
		{"POST", "/openrouter/v1/embeddings", rt, map[string]any{"model": "m", "input": "hi"}, `"embedding"`},
		{"POST", "/ollama/v1/chat/completions", ot, chatBody(false), `"chat.completion"`},
	}
	for _, tt := range tests {
		status, body, _ := e.do(tt.method, tt.path, tt.token, tt.body)
		if status != http.StatusOK || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, status, body)
		}
	}
}

// A mid-stream error (OpenRouter's finish_reason "error" chunk under 200)
// reaches the client as sent.
func TestMidStreamErrorPassesThrough(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	key := "sk-or-midstream-0123456789"
	e.importKeys("openrouter", key)
	token := e.createToken("openrouter")
	e.fake.SetFault(key, fakeupstream.Fault{MidStreamError: true})
	status, body, _ := e.do("POST", chatPath("openrouter"), token, chatBody(true))
	if status != http.StatusOK || !strings.Contains(string(body), `"finish_reason":"error"`) {
		t.Fatalf("got %d %s", status, body)
	}
}

// With STREAM_USAGE=off the body goes upstream byte for byte, streams too.
func TestStreamUsageOff(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"STREAM_USAGE": "off"})
	key := "sk-raw-0123456789abcdef"
	e.importKeys("ollama", key)
	token := e.createToken("ollama")
	raw := `{"stream":true,  "model":"m","messages":[{"role":"user","content":"hi"}]}`
	if status, body, _ := e.do("POST", chatPath("ollama"), token, raw); status != 200 || strings.Contains(string(body), `"usage"`) {
		t.Fatalf("%d %s", status, body)
	}
	if got := string(e.fake.LastRequest(key).Body); got != raw {
		t.Fatalf("upstream body %q, want %q", got, raw)
	}
}

// A client that asked for usage gets the usage chunk, and its body is not
// touched.
func TestStreamUsageAskedByClient(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	key := "sk-asked-0123456789abcdef"
	e.importKeys("ollama", key)
	token := e.createToken("ollama")
	raw := `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}`
	status, body, _ := e.do("POST", chatPath("ollama"), token, raw)
	if status != 200 || !strings.Contains(string(body), `"usage"`) {
		t.Fatalf("%d %s", status, body)
	}
	if got := string(e.fake.LastRequest(key).Body); got != raw {
		t.Fatalf("upstream body %q, want %q", got, raw)
	}
}
