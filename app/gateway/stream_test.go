package gateway_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// readEvent reads one SSE line that carries data (comments and blank lines
// skipped) with a bufio.Reader, which has no line length limit.
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read stream: %v (partial %q)", err, line)
		}
		if strings.HasPrefix(line, "data:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "data:"))
		}
	}
}

// Each chunk reaches the client as the upstream sends it: the first chunk
// is read while the upstream still waits before the second.
func TestStreamFlushesEachChunk(t *testing.T) {
	t.Parallel()
	for _, provider := range []string{"ollama", "openrouter"} {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, "sqlite", nil)
			e.fake.SetOptions(fakeupstream.Options{Chunks: 3, ChunkDelay: 1500 * time.Millisecond})
			e.importKeys(provider, "sk-flush-0123456789abcdef")
			token := e.createToken(provider)
			start := time.Now()
			resp := e.send("POST", chatPath(provider), token, chatBody(true))
			defer resp.Body.Close()
			r := bufio.NewReader(resp.Body)
			first := readEvent(t, r)
			if d := time.Since(start); d > time.Second {
				t.Fatalf("first chunk after %v: it waited for the second (delay 1.5s)", d)
			}
			if !strings.Contains(first, `"chat.completion.chunk"`) {
				t.Fatalf("first event %q", first)
			}
			second := readEvent(t, r)
			if d := time.Since(start); d < 1400*time.Millisecond || !strings.Contains(second, "chunk") {
				t.Fatalf("second event %q after %v", second, d)
			}
		})
	}
}

// A client that leaves mid-stream, or while the gateway still waits for
// the upstream's headers, cancels the upstream request within a second.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     fakeupstream.Options
		readOne  bool
		provider string
	}{
		{"mid-stream ollama", fakeupstream.Options{Chunks: 50, ChunkDelay: 300 * time.Millisecond}, true, "ollama"},
		{"mid-stream openrouter", fakeupstream.Options{Chunks: 50, ChunkDelay: 300 * time.Millisecond}, true, "openrouter"},
		{"long gap between chunks", fakeupstream.Options{Chunks: 3, ChunkDelay: 20 * time.Second}, true, "ollama"},
		{"waiting for headers", fakeupstream.Options{Chunks: 3, Latency: 20 * time.Second}, false, "ollama"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, "sqlite", map[string]string{"UPSTREAM_TIMEOUT": "60s"})
			e.fake.SetOptions(tt.opts)
			key := "sk-leave-0123456789abcdef"
			e.importKeys(tt.provider, key)
			token := e.createToken(tt.provider)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", e.url+chatPath(tt.provider),
				strings.NewReader(`{"model":"m","stream":true,"messages":[]}`))
			req.Header.Set("Authorization", "Bearer "+token)
			respc := make(chan *http.Response, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					respc <- resp
				}
				close(respc)
			}()
			if tt.readOne {
				resp := <-respc
				if resp == nil {
					t.Fatal("no response")
				}
				readEvent(t, bufio.NewReader(resp.Body))
			} else {
				eventually(t, 2*time.Second, "request reached the upstream", func() bool { return e.fake.Counts(key).InFlight == 1 })
			}
			left := time.Now()
			cancel() // closes the client's connection
			eventually(t, 1500*time.Millisecond, "upstream request canceled", func() bool { return e.fake.Counts(key).Canceled == 1 })
			if d := time.Since(left); d > time.Second {
				t.Fatalf("upstream canceled %v after the client left, want < 1s", d)
			}
			// The key is not blamed for the client's departure.
			if h := e.health().Providers[tt.provider]; h.Available != 1 {
				t.Errorf("key state after a client left: %+v", h)
			}
		})
	}
}

// No server write timeout cuts a long stream: a stream longer than any
// default timeout finishes.
func TestLongStreamIsNotCut(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"STREAM_IDLE_TIMEOUT": "2s"})
	e.fake.SetOptions(fakeupstream.Options{Chunks: 8, ChunkDelay: 700 * time.Millisecond})
	e.importKeys("ollama", "sk-long-0123456789abcdef")
	token := e.createToken("ollama")
	status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(true))
	if status != 200 || !strings.HasSuffix(strings.TrimSpace(string(body)), "data: [DONE]") {
		t.Fatalf("got %d %q", status, body)
	}
}

// An upstream that goes silent mid-stream beyond STREAM_IDLE_TIMEOUT is cut
// off and counted against its key; the client's stream ends.
func TestIdleStreamIsCut(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"STREAM_IDLE_TIMEOUT": "1s"})
	e.fake.SetOptions(fakeupstream.Options{Chunks: 3, ChunkDelay: 30 * time.Second})
	key := "sk-idle-0123456789abcdef"
	e.importKeys("ollama", key)
	token := e.createToken("ollama")
	start := time.Now()
	resp := e.send("POST", chatPath("ollama"), token, chatBody(true))
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	readEvent(t, r)
	for {
		if _, err := r.ReadString('\n'); err != nil {
			break
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("idle stream ended after %v, want ~1s", d)
	}
	eventually(t, time.Second, "upstream canceled", func() bool { return e.fake.Counts(key).Canceled == 1 })
}
