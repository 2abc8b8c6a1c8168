package fakeupstream

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCounts(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{Chunks: 3})
	f.SetFault("bad", Fault{Status: 500})
	requests := []struct{ key, path, body string }{
		{"good", "/v1/chat/completions", chatBody},
		{"good", "/v1/chat/completions", streamBody},
		{"good", "/api/v1/chat/completions", streamBody},
		{"good", "/v1/embeddings", `{"model":"e","input":"x"}`},
		{"bad", "/v1/chat/completions", chatBody},
		{"good", "/v1/chat/completions", `{}`},
		{"", "/v1/chat/completions", chatBody},
	}
	for _, r := range requests {
		f.mustDo(t, http.MethodPost, r.path, r.key, r.body)
	}
	p := PromptTokens(len(chatBody))
	tests := []struct {
		name string
		got  Counts
		want Counts
	}{
		{"good", f.Counts("good"), Counts{Requests: 5, OK: 4, Failed: 1,
			PromptTokens: p + PromptTokens(len(streamBody)) + 1, CompletionTokens: 6}},
		{"bad", f.Counts("bad"), Counts{Requests: 1, Failed: 1}},
		{"no key", f.Counts(""), Counts{Requests: 1, Failed: 1}},
		{"unknown", f.Counts("never"), Counts{}},
		{"total", f.Total(), Counts{Requests: 7, OK: 4, Failed: 3,
			PromptTokens: p + PromptTokens(len(streamBody)) + 1, CompletionTokens: 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %+v, want %+v", tt.got, tt.want)
			}
		})
	}
	f.Reset()
	if got := f.Total(); got != (Counts{}) {
		t.Errorf("after Reset: %+v", got)
	}
	if res := f.mustDo(t, http.MethodPost, "/v1/chat/completions", "bad", chatBody); res.status != 200 {
		t.Errorf("fault survived Reset: %d", res.status)
	}
}

func TestCanceled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  Options
		fault Fault
		body  string
		read  int // SSE lines to read before leaving
	}{
		{"during stream", Options{Chunks: 1000, ChunkDelay: 20 * time.Millisecond}, Fault{}, streamBody, 2},
		{"before headers", Options{Latency: 10 * time.Second}, Fault{}, chatBody, -1},
		{"in first-byte delay", Options{}, Fault{FirstByteDelay: 10 * time.Second, Status: 429}, chatBody, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t, tt.opts)
			f.SetFault("k", tt.fault)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.url+"/v1/chat/completions", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer k")
			if tt.read < 0 {
				done := make(chan error, 1)
				go func() {
					resp, err := f.client.Do(req)
					if err == nil {
						resp.Body.Close()
					}
					done <- err
				}()
				eventually(t, time.Second, "request in flight", func() bool { return f.Counts("k").InFlight == 1 })
				cancel()
				if err := <-done; err == nil {
					t.Error("request succeeded after cancel")
				}
			} else {
				resp, err := f.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				br := bufio.NewReader(resp.Body)
				for range tt.read {
					if _, err := br.ReadString('\n'); err != nil {
						t.Fatal(err)
					}
				}
				cancel()
				resp.Body.Close()
			}
			eventually(t, time.Second, "upstream request canceled", func() bool {
				c := f.Counts("k")
				return c.Canceled == 1 && c.InFlight == 0
			})
			if c := f.Counts("k"); c.OK != 0 || c.Failed != 0 || c.Requests != 1 {
				t.Errorf("counts %+v", c)
			}
		})
	}
}

func TestLastRequest(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{})
	f.mustDo(t, http.MethodPost, "/api/v1/chat/completions", "k", chatBody)
	got := f.LastRequest("k")
	if got.Method != http.MethodPost || got.Path != "/api/v1/chat/completions" || string(got.Body) != chatBody ||
		got.Header.Get("Authorization") != "Bearer k" {
		t.Errorf("got %+v", got)
	}
	got.Body[0] = 'X' // a copy: changing it changes nothing
	if string(f.LastRequest("k").Body) != chatBody {
		t.Error("LastRequest shares its body")
	}
	if r := f.LastRequest("none"); r.Path != "" || r.Header != nil {
		t.Errorf("unknown key: %+v", r)
	}
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{Chunks: 3})
	const clients, each = 64, 20
	paths := []string{"/v1/chat/completions", "/api/v1/chat/completions", "/v1/completions", "/api/v1/embeddings"}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			key := fmt.Sprintf("k%d", c%8)
			for i := range each {
				body := chatBody
				if i%2 == 0 {
					body = streamBody
				}
				if c%8 == 0 && i%5 == 0 {
					f.SetFault(key, Fault{Status: 429, Times: 1})
				}
				if _, err := f.do(context.Background(), http.MethodPost, paths[(c+i)%len(paths)], key, body); err != nil {
					t.Error(err)
				}
				_ = f.Counts(key)
				_ = f.LastRequest(key)
			}
		})
	}
	wg.Wait()
	tot := f.Total()
	if tot.Requests != clients*each || tot.OK+tot.Failed != tot.Requests || tot.InFlight != 0 || tot.Canceled != 0 {
		t.Errorf("total %+v", tot)
	}
}
