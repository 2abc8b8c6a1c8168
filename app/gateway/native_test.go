package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// bearerTransport adds the client token, as a user configures the ollama
// library's HTTP client to reach Keypool.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func ollamaClient(t *testing.T, base, token string) *api.Client {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return api.NewClient(u, &http.Client{Transport: bearerTransport{token}})
}

// The official Ollama Go client works against the gateway: chat and
// generate, streaming and not, embed, show, tags, version.
func TestOllamaNativeClient(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	key := "sk-native-0123456789abcdef"
	e.importKeys("ollama", key)
	c := ollamaClient(t, e.url, e.createToken("ollama"))
	ctx := context.Background()
	want := fakeupstream.Content(5)
	no := false

	for _, stream := range []*bool{nil, &no} {
		var got strings.Builder
		var final api.ChatResponse
		parts := 0
		err := c.Chat(ctx, &api.ChatRequest{Model: "gpt-oss:120b", Stream: stream,
			Messages: []api.Message{{Role: "user", Content: "hi"}}}, func(r api.ChatResponse) error {
			got.WriteString(r.Message.Content)
			parts++
			final = r
			return nil
		})
		if err != nil || got.String() != want || !final.Done || final.EvalCount != 5 || final.PromptEvalCount == 0 {
			t.Errorf("chat stream=%v: %v %q %+v", stream, err, got.String(), final.Metrics)
		}
		if (stream == nil) != (parts > 1) {
			t.Errorf("chat stream=%v came in %d parts", stream, parts)
		}

		var gen strings.Builder
		err = c.Generate(ctx, &api.GenerateRequest{Model: "gpt-oss:120b", Prompt: "hi", Stream: stream}, func(r api.GenerateResponse) error {
			gen.WriteString(r.Response)
			return nil
		})
		if err != nil || gen.String() != want {
			t.Errorf("generate stream=%v: %v %q", stream, err, gen.String())
		}
	}
	emb, err := c.Embed(ctx, &api.EmbedRequest{Model: "embeddinggemma", Input: "hello"})
	if err != nil || len(emb.Embeddings) != 1 {
		t.Errorf("embed: %v %+v", err, emb)
	}
	show, err := c.Show(ctx, &api.ShowRequest{Model: "gpt-oss:120b"})
	if err != nil || show.Details.Format == "" {
		t.Errorf("show: %v %+v", err, show)
	}
	list, err := c.List(ctx)
	if err != nil || len(list.Models) == 0 {
		t.Errorf("tags: %v %+v", err, list)
	}
	v, err := c.Version(ctx)
	if err != nil || v == "" {
		t.Errorf("version: %v %q", err, v)
	}
	if _, err := c.Show(ctx, &api.ShowRequest{Model: "no-such-model"}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("show of an unknown model: %v", err)
	}
	bad := ollamaClient(t, e.url, "sk-wrong")
	var authErr api.AuthorizationError
	if _, err := bad.Show(ctx, &api.ShowRequest{Model: "gpt-oss:120b"}); !errors.As(err, &authErr) || authErr.StatusCode != 401 {
		t.Errorf("wrong token: %T %v", err, err)
	}
}

// Native routes under /ollama/api too; errors in Ollama's shape; failover
// before the first line.
func TestNativeRoutesFailover(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault fakeupstream.Fault
	}{
		{"401", fakeupstream.Fault{Status: 401}},
		{"429 quota", fakeupstream.Fault{Status: 429, Message: "you've reached your session usage limit, please wait"}},
		{"500", fakeupstream.Fault{Status: 500}},
		{"reset", fakeupstream.Fault{ResetBeforeHeaders: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, "sqlite", nil)
			bad, good := "sk-nbad-0123456789abcdef", "sk-ngood-0123456789abcdef"
			e.importKeys("ollama", bad, good)
			token := e.createToken("ollama")
			e.fake.SetFault(bad, tt.fault)
			for i := 0; i < 4 && e.fake.Counts(bad).Requests == 0; i++ {
				path := []string{"/api/chat", "/ollama/api/chat"}[i%2]
				status, body, hdr := e.do("POST", path, token, `{"model":"m","messages":[{"role":"user","content":"x"}]}`)
				if status != 200 || hdr.Get("Content-Type") != "application/x-ndjson" || !strings.Contains(string(body), `"done":true`) {
					t.Fatalf("%s: %d %s %q", path, status, hdr.Get("Content-Type"), body)
				}
			}
			if e.fake.Counts(bad).Requests != 1 {
				t.Fatalf("bad key tried %d times", e.fake.Counts(bad).Requests)
			}
		})
	}
	e := newTestEnv(t, "sqlite", nil)
	e.importKeys("ollama", "sk-only-0123456789abcdef")
	token := e.createToken("ollama")
	e.fake.SetFault("sk-only-0123456789abcdef", fakeupstream.Fault{Status: 429, Message: "you've reached your weekly usage limit"})
	for _, tt := range []struct {
		path, token string
		status      int
		msg         string
	}{
		{"/api/chat", "nope", 401, "invalid or missing client token"},
		{"/api/chat", token, 429, "weekly usage limit"},
		{"/ollama/api/generate", token, 503, "no Ollama key can serve this request now (model m): all 1 are failed"},
	} {
		status, body, _ := e.do("POST", tt.path, tt.token, `{"model":"m","prompt":"x"}`)
		var shape struct{ Error string }
		if status != tt.status || json.Unmarshal(body, &shape) != nil || !strings.Contains(shape.Error, tt.msg) {
			t.Errorf("%s: %d %s, want %d with {\"error\":…%s…}", tt.path, status, body, tt.status, tt.msg)
		}
	}
}

// A client that leaves mid NDJSON stream cancels the upstream; a line over
// 64 KiB passes whole.
func TestNativeStreaming(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	key := "sk-nstream-0123456789abcdef"
	e.importKeys("ollama", key)
	token := e.createToken("ollama")

	e.fake.SetOptions(fakeupstream.Options{Chunks: 3, LongLine: 200 << 10})
	resp := e.send("POST", "/api/generate", token, `{"model":"m","prompt":"x"}`)
	r := bufio.NewReader(resp.Body)
	first, err := r.ReadString('\n')
	resp.Body.Close()
	if err != nil || len(first) < 200<<10 || !json.Valid([]byte(first)) {
		t.Fatalf("long line: %d bytes, %v", len(first), err)
	}

	e.fake.SetOptions(fakeupstream.Options{Chunks: 50, ChunkDelay: 200 * time.Millisecond})
	before := e.fake.Counts(key).Canceled
	resp = e.send("POST", "/api/chat", token, `{"model":"m","messages":[]}`)
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	eventually(t, time.Second, "upstream canceled", func() bool { return e.fake.Counts(key).Canceled == before+1 })
}

// GET /api/tags merges what the pool's keys see and is cached.
func TestNativeTagsUnionCached(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	e.fake.SetOptions(fakeupstream.Options{TagsByKey: map[string][]string{
		"sk-tags-a-0123456789": {"gpt-oss:120b", "qwen3-coder:480b"},
		"sk-tags-b-0123456789": {"gpt-oss:120b", "kimi-k2:1t"},
	}})
	e.importKeys("ollama", "sk-tags-a-0123456789", "sk-tags-b-0123456789")
	token := e.createToken("ollama")
	for i := 0; i < 3; i++ {
		status, body, _ := e.do("GET", "/api/tags", token, nil)
		var list struct{ Models []struct{ Name string } }
		if status != 200 || json.Unmarshal(body, &list) != nil || len(list.Models) != 3 {
			t.Fatalf("tags: %d %s", status, body)
		}
	}
	if n := e.fake.Total().Requests; n != 2 {
		t.Fatalf("upstream asked %d times for three page views, want once per key", n)
	}
}

// Native requests and their tokens are counted exactly.
func TestNativeStatistics(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"STATS_FLUSH_INTERVAL": "100ms"})
		e.importKeys("ollama", "sk-nstat-1-0123456789", "sk-nstat-2-0123456789")
		token := e.createToken("ollama")
		tl := &tally{models: map[string][3]int64{}, tokens: map[string]int64{}}
		for i, body := range []string{
			`{"model":"a","messages":[]}`, `{"model":"a","messages":[],"stream":false}`,
			`{"model":"b","prompt":"p"}`, `{"model":"b","prompt":"p","stream":false}`, `{"model":"c","input":"x"}`,
		} {
			path := []string{"/api/chat", "/api/chat", "/api/generate", "/ollama/api/generate", "/api/embed"}[i]
			status, resp, _ := e.do("POST", path, token, body)
			if status != 200 {
				t.Fatalf("%s: %d %s", path, status, resp)
			}
			tl.add(map[int]string{0: "a", 1: "a", 2: "b", 3: "b", 4: "c"}[i], digestOf(token), true)
		}
		e.stop()
		checkTables(t, e, tl)
	})
}
