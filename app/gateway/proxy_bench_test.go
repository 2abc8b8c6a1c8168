package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/keypool/keypool/migrations"
)

// BenchmarkProxy sends chat requests one after another, straight to the
// fake upstream and through the gateway, in one process. Its allocations
// per request are what the gateway adds to the garbage collector's work
// (the difference between the two), the figure behind the p99 of the
// concurrency bench:
//
//	go test -run '^$' -bench Proxy -benchmem ./app/gateway/
func BenchmarkProxy(b *testing.B) {
	e := newTestEnv(b, migrations.SQLite, map[string]string{"DISABLE_OPENROUTER": "true"})
	e.importKeys("ollama", "sk-bench-proxy-0123456789")
	token := e.createToken("ollama")
	for _, stream := range []bool{false, true} {
		name := "json"
		if stream {
			name = "sse"
		}
		body, err := json.Marshal(chatBody(stream))
		if err != nil {
			b.Fatal(err)
		}
		for _, tc := range []struct{ target, url, token string }{
			{"direct", e.upstream.URL + "/v1/chat/completions", "sk-bench-proxy-0123456789"},
			{"gateway", e.url + "/v1/chat/completions", token},
		} {
			b.Run(name+"/"+tc.target, func(b *testing.B) {
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
				defer client.CloseIdleConnections()
				b.ReportAllocs()
				for b.Loop() {
					benchRequest(b, client, tc.url, tc.token, body)
				}
			})
		}
	}
}

// benchRequest sends one request and reads its answer to the end.
func benchRequest(b *testing.B, client *http.Client, url, token string, body []byte) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || n == 0 {
		b.Fatalf("%s: %d, %d bytes, %v", url, resp.StatusCode, n, err)
	}
}
