package gateway_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
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
	e.fake.SetOptions(fakeupstream.Options{Chunks: 20}) // inflightRequest wants 20 events per stream
	for _, stream := range []bool{false, true} {
		name := "json"
		if stream {
			name = "sse"
		}
		for _, tc := range []struct{ target, url, token string }{
			{"direct", e.upstream.URL, "sk-bench-proxy-0123456789"},
			{"gateway", e.url, token},
		} {
			b.Run(name+"/"+tc.target, func(b *testing.B) {
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
				defer client.CloseIdleConnections()
				b.ReportAllocs()
				for b.Loop() {
					if err := inflightRequest(context.Background(), client, tc.url, tc.token, stream); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
