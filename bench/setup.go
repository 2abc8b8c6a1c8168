package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// upstream is the fake upstream, served in this process.
type upstream struct {
	url  string
	srv  *http.Server
	fake *fakeupstream.Server // its counters and options
}

func startUpstream(chunks int) (*upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	fake := fakeupstream.New(fakeupstream.Options{Chunks: chunks})
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &upstream{url: "http://" + ln.Addr().String(), srv: srv, fake: fake}, nil
}

func (u *upstream) close() { u.srv.Close() }

// importBatch is how many keys one import call carries.
const importBatch = 10_000

// upstreamKeys returns n deterministic keys of a realistic length (64
// characters), the same on every run so that a reused database dedupes them.
func upstreamKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		keys[i] = fmt.Sprintf("bk%07d.%s", i, hex.EncodeToString(sum[:])[:54])
	}
	return keys
}

// bearers turns tokens into Authorization header values.
func bearers(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = "Bearer " + t
	}
	return out
}

// setUp loads the keys into the gateway in batches through the admin API,
// notes the gateway's memory before and after, and returns a new client
// token.
func setUp(ctx context.Context, gw *gatewayProc, keys []string, rep *report, logf logFunc) (string, error) {
	rep.rssStart = gw.rssMB()
	start := time.Now()
	var imported, dupes int64
	for i := 0; i < len(keys); i += importBatch {
		var out struct{ Imported, Duplicates int64 }
		in := map[string]any{"provider": "ollama", "keys": keys[i:min(i+importBatch, len(keys))]}
		if err := gw.admin(ctx, "/admin/api-keys/import", in, http.StatusOK, &out); err != nil {
			return "", err
		}
		imported, dupes = imported+out.Imported, dupes+out.Duplicates
	}
	rep.importTime = time.Since(start)
	var health struct {
		Providers map[string]struct{ Total, Available int }
	}
	if err := gw.get(ctx, "/health", &health); err != nil {
		return "", err
	}
	pool := health.Providers["ollama"]
	rep.poolTotal, rep.poolAvailable = pool.Total, pool.Available
	logf("imported %d keys (%d already there) in %s; ollama pool: %d keys, %d available",
		imported, dupes, rep.importTime.Round(time.Millisecond), pool.Total, pool.Available)
	if pool.Available < len(keys) {
		return "", fmt.Errorf("only %d of %d keys available in the gateway", pool.Available, len(keys))
	}
	rep.rssKeys = gw.rssMB()

	var tok struct{ Token string }
	if err := gw.admin(ctx, "/admin/tokens?provider=ollama", map[string]string{"name": "bench"}, http.StatusCreated, &tok); err != nil {
		return "", err
	}
	if tok.Token == "" {
		return "", fmt.Errorf("create token: empty token in the answer")
	}
	return tok.Token, nil
}

// admin POSTs a JSON body to the admin API and decodes the answer.
func (g *gatewayProc) admin(ctx context.Context, path string, in any, want int, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+g.adminToken)
	req.Header.Set("Content-Type", "application/json")
	return doJSON(req, want, out)
}

// get GETs a JSON document from the gateway.
func (g *gatewayProc) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url+path, nil)
	if err != nil {
		return err
	}
	return doJSON(req, http.StatusOK, out)
}

func doJSON(req *http.Request, want int, out any) error {
	// No idle connection stays behind in the gateway: its goroutines and
	// memory at rest are then its own (see -concurrency).
	req.Close = true
	client := &http.Client{Timeout: 5 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %.300s", req.Method, req.URL.Path, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	return nil
}
