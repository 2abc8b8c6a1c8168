package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// gate holds every upstream request until n of them have arrived (n = 0:
// until release), so that all are provably in flight through the gateway
// at the same moment.
type gate struct {
	next    http.Handler
	n       int64
	arrived atomic.Int64
	open    chan struct{}
	once    sync.Once
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.arrived.Add(1) == g.n {
		g.release()
	}
	select {
	case <-g.open:
	case <-r.Context().Done():
		return
	}
	g.next.ServeHTTP(w, r)
}

// release lets every held request and every later one through.
func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// The gateway has no global in-flight cap below 10,000: 2,000 requests,
// half of them streams, are held at the upstream until all 2,000 have
// arrived there, then all are answered in full with 200. With a cap below
// 2,000 the gate would never open and the clients would time out; with a
// cap that refuses, some would get 429 or 503.
func TestThousandsInFlight(t *testing.T) {
	t.Parallel()
	const n = 2000
	fake := fakeupstream.New(fakeupstream.Options{Chunks: 20, ChunkDelay: 10 * time.Millisecond})
	g := &gate{next: fake, n: n, open: make(chan struct{})}
	up := httptest.NewServer(g)
	t.Cleanup(up.Close)
	e := newTestEnv(t, "sqlite", map[string]string{"OLLAMA_BASE_URL": up.URL, "UPSTREAM_TIMEOUT": "30s"})
	e.importKeys("ollama", "sk-inflight-a-0123456789", "sk-inflight-b-0123456789", "sk-inflight-c-0123456789")
	token := e.createToken("ollama")
	// On failure, let whatever is still held go before the gateway and the
	// upstream shut down (cleanups run last registered first).
	t.Cleanup(g.release)

	if got := e.gw.App().Server().Concurrency; got < 10000 {
		t.Errorf("the server serves at most %d connections at once, want no cap below 10,000", got)
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		wg     sync.WaitGroup
		failed atomic.Int64
		errs   = make(chan string, n)
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := inflightRequest(ctx, client, e.url, token, i%2 == 1); err != nil {
				failed.Add(1)
				errs <- fmt.Sprintf("request %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if f := failed.Load(); f > 0 {
		t.Errorf("%d of %d requests failed; first: %s", f, n, <-errs)
	}
	if got := g.arrived.Load(); got != n {
		t.Errorf("the upstream saw %d requests, want %d (one per client, no retries)", got, n)
	}
	select {
	case <-g.open:
	default:
		t.Errorf("only %d of %d requests were at the upstream at once", g.arrived.Load(), n)
	}
	// The fake counts an answer when its handler returns, which may be just
	// after the client read the last byte.
	deadline := time.Now().Add(2 * time.Second)
	total := fake.Total()
	for (total.Requests != n || total.OK != n) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		total = fake.Total()
	}
	if total.Requests != n || total.OK != n {
		t.Errorf("upstream counted %d requests, %d ok, want %d, %d", total.Requests, total.OK, n, n)
	}
}

// inflightRequest sends one chat request and checks the whole answer:
// a JSON completion, or an SSE stream of 20 content chunks ending in
// [DONE].
func inflightRequest(ctx context.Context, client *http.Client, url, token string, stream bool) error {
	body := fmt.Sprintf(`{"model":"gpt-oss:120b","stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("status %d: %s", resp.StatusCode, data)
	}
	if !stream {
		var c struct {
			Choices []struct {
				Message struct{ Content string } `json:"message"`
			} `json:"choices"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		if len(c.Choices) != 1 || c.Choices[0].Message.Content == "" {
			return fmt.Errorf("completion without content: %+v", c)
		}
		return nil
	}
	rd := bufio.NewReader(resp.Body)
	events := 0
	for {
		line, err := rd.ReadString('\n')
		if strings.HasPrefix(line, "data: [DONE]") {
			break
		}
		if strings.HasPrefix(line, "data: ") {
			events++
		}
		if err != nil {
			return fmt.Errorf("stream cut after %d events: %w", events, err)
		}
	}
	if events < 20 {
		return fmt.Errorf("stream of %d events, want at least 20", events)
	}
	return nil
}

// While a request waits for its upstream, its client connection holds no
// read buffer: with fasthttp's ReduceMemoryUsage the connection's 16 KB
// reader goes back to a pool once the request is read, instead of staying
// with the connection for as long as the answer takes. That reader was a
// third of the gateway's heap with 2,000 slow requests in flight.
// Measured as this process's live heap per held request (client, gateway
// and fake upstream together), which grows by the 16 KB without it.
func TestHeldRequestHoldsNoReadBuffer(t *testing.T) {
	// Not parallel: it measures this process's heap.
	const n = 500
	fake := fakeupstream.New(fakeupstream.Options{})
	g := &gate{next: fake, open: make(chan struct{})} // released below, once all n are held
	up := httptest.NewServer(g)
	t.Cleanup(up.Close)
	e := newTestEnv(t, "sqlite", map[string]string{"OLLAMA_BASE_URL": up.URL, "UPSTREAM_TIMEOUT": "30s"})
	e.importKeys("ollama", "sk-held-0123456789")
	token := e.createToken("ollama")
	t.Cleanup(g.release)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before := liveHeap()
	var (
		wg     sync.WaitGroup
		failed atomic.Int64
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := inflightRequest(ctx, client, e.url, token, false); err != nil {
				failed.Add(1)
			}
		}()
	}
	eventually(t, 20*time.Second, "all requests held at the upstream", func() bool { return g.arrived.Load() == n })
	perRequest := (liveHeap() - before) / n
	g.release()
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d of %d requests failed", f, n)
	}
	t.Logf("live heap per held request: %.1f KB", float64(perRequest)/1024)
	if perRequest > heldRequestHeapMax {
		t.Errorf("live heap per held request %.1f KB, want at most %.0f KB: does a waiting connection keep its read buffer?",
			float64(perRequest)/1024, float64(heldRequestHeapMax)/1024)
	}
}

// heldRequestHeapMax lies halfway between the figures measured with and
// without ReduceMemoryUsage (Go 1.26, linux/amd64): 48–51 KB and 64–68 KB.
// The 48 KB include the test client's and the fake upstream's side of
// each request; 12 KB are the buffers of the gateway's upstream connection.
const heldRequestHeapMax = 56 << 10

// liveHeap is this process's live heap after two full collections (the
// second empties what sync.Pools kept through the first).
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
