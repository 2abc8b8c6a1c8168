package proxy

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/models"
)

// event is one SSE data line and when the client read it.
type event struct {
	data string
	at   time.Time
}

// streamChat sends a chat request on a real socket and returns the
// answer with its body unread.
func streamChat(t *testing.T, ctx context.Context, url, path, body string) *http.Response {
	t.Helper()
	resp, err := postChat(ctx, url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// An SSE answer reaches the client chunk by chunk as the upstream sends
// it, unchanged but for the usage chunk Keypool asked for on the client's
// behalf, and the usage it reported is in the request's outcome.
func TestStreamPassesThrough(t *testing.T) {
	t.Parallel()
	const (
		chunks = 3
		delay  = 150 * time.Millisecond
	)
	tests := []struct {
		name      string
		provider  string
		cfg       Config
		body      string
		wantUsage bool // the client sees the usage chunk
	}{
		{"ollama, the client asks for usage", "", Config{},
			`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}`, true},
		{"ollama, Keypool asks for usage and hides it", "", Config{StreamUsage: true},
			`{"model":"m","stream":true,"messages":[]}`, false},
		{"openrouter always sends usage", provider.OpenRouter, Config{},
			`{"model":"m","stream":true,"messages":[]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, envOptions{provider: tt.provider, cfg: tt.cfg,
				fake: fakeupstream.Options{Chunks: chunks, ChunkDelay: delay}})
			resp := streamChat(t, context.Background(), e.listen(), e.chatPath(), tt.body)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("answer %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			var events []event
			r := bufio.NewReader(resp.Body)
			for {
				data, err := readEvent(r)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				events = append(events, event{data, time.Now()})
			}
			if len(events) < chunks+2 {
				t.Fatalf("%d events, want %d chunks, the finish chunk and [DONE] at least", len(events), chunks)
			}

			var content strings.Builder
			usage := 0
			for _, ev := range events[:len(events)-1] {
				if strings.Contains(ev.data, `"usage":`) {
					usage++
				}
				if i := strings.Index(ev.data, `"content":"`); i >= 0 {
					content.WriteString(strings.SplitN(ev.data[i+len(`"content":"`):], `"`, 2)[0])
				}
			}
			if last := events[len(events)-1].data; last != "[DONE]" {
				t.Errorf("last event %q, want [DONE]", last)
			}
			if got, want := content.String(), fakeupstream.Content(chunks); got != want {
				t.Errorf("content %q, want %q", got, want)
			}
			if want := map[bool]int{true: 1, false: 0}[tt.wantUsage]; usage != want {
				t.Errorf("%d usage chunks reached the client, want %d", usage, want)
			}
			// Held back and sent at the end, the chunks would arrive
			// together; passed through, they are the upstream's pauses apart.
			if gap := events[len(events)-1].at.Sub(events[0].at); gap < (chunks-1)*delay {
				t.Errorf("first and last event %v apart, want ≥ %v: the stream was buffered", gap, (chunks-1)*delay)
			}

			out := e.rec.one(t)
			eventually(t, time.Second, "the upstream counts its answer", func() bool { return e.fake.Counts(e.keys[0]).OK == 1 })
			up := e.fake.Counts(e.keys[0])
			if out.Status != 200 || !out.Success || !out.Stream || out.Key != e.keys[0] || len(out.FailedKeys) != 0 {
				t.Errorf("outcome %+v, want a streamed success on %s", out, e.keys[0])
			}
			if out.PromptTokens != up.PromptTokens || out.CompletionTokens != chunks || up.CompletionTokens != chunks {
				t.Errorf("outcome usage %d+%d, upstream reported %d+%d", out.PromptTokens, out.CompletionTokens,
					up.PromptTokens, up.CompletionTokens)
			}
		})
	}
}

// A client that hangs up is not the key's fault: mid-stream the request
// stays the success it was (it got its 200), before the upstream's
// headers it is recorded as 499. Either way the upstream request is
// cancelled and the key keeps serving.
func TestClientLeaves(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fake       fakeupstream.Options
		midStream  bool
		wantStatus int
	}{
		// fasthttp finds the client gone when a write fails.
		{"mid-stream", fakeupstream.Options{Chunks: 100, ChunkDelay: 50 * time.Millisecond}, true, 200},
		// Nothing is written: the watcher finds the client gone and
		// cancels the upstream read, which then fails.
		{"mid-stream, in a long pause between chunks", fakeupstream.Options{Chunks: 3, ChunkDelay: 30 * time.Second}, true, 200},
		{"before the upstream's headers", fakeupstream.Options{Latency: 30 * time.Second}, false, StatusClientClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, envOptions{fake: tt.fake})
			url, key := e.listen(), e.keys[0]
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			body := `{"model":"m","stream":true,"messages":[]}`
			if tt.midStream {
				resp := streamChat(t, ctx, url, e.chatPath(), body)
				if _, err := readEvent(bufio.NewReader(resp.Body)); err != nil {
					t.Fatal(err)
				}
			} else {
				go func() {
					if resp, err := postChat(ctx, url+e.chatPath(), body); err == nil {
						resp.Body.Close()
					}
				}()
				eventually(t, 2*time.Second, "the request reaches the upstream", func() bool { return e.fake.Counts(key).InFlight == 1 })
			}
			cancel() // closes the client's connection

			out := e.rec.one(t)
			if out.Status != tt.wantStatus {
				t.Errorf("outcome status %d, want %d", out.Status, tt.wantStatus)
			}
			if tt.midStream {
				if !out.Success || out.Key != key || len(out.FailedKeys) != 0 {
					t.Errorf("outcome %+v, want a success on %s", out, key)
				}
			} else if out.Success || out.Key != "" || len(out.FailedKeys) != 1 {
				t.Errorf("outcome %+v, want no answering key and the attempt counted", out)
			}
			eventually(t, time.Second, "the upstream request is cancelled", func() bool { return e.fake.Counts(key).Canceled == 1 })
			if k, ok := e.pool.Get(key); !ok || k.State().Status != models.StatusActive || !k.CoolingDownUntil().IsZero() {
				t.Errorf("key after the client left: %+v", k.State())
			}
		})
	}
}

// postChat sends a chat request with the test token.
func postChat(ctx context.Context, url, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	return http.DefaultClient.Do(req)
}
