package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/app/tokens"
)

// tally is what the clients themselves counted.
type tally struct {
	mu      sync.Mutex
	total   int64
	success int64
	models  map[string][3]int64
	tokens  map[string]int64
}

func (t *tally) add(model, token string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total++
	m := t.models[model]
	m[0]++
	if ok {
		t.success++
		m[1]++
	} else {
		m[2]++
	}
	t.models[model] = m
	t.tokens[token]++
}

// Every request is counted exactly once: 10,000 requests from 64 clients —
// JSON and streams, failover, client errors, abandoned streams — then
// every table is compared with the clients' tally and the upstream's own
// counters.
func TestStatisticsAreExact(t *testing.T) {
	t.Parallel()
	n := 10000
	if testing.Short() {
		n = 1000
	}
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"STATS_FLUSH_INTERVAL": "200ms", "KEY_FAILURE_THRESHOLD": "1000"})
		// Abandoned streams are slow, so that the client is gone long before
		// the upstream would send usage: the upstream then counts no tokens
		// for them, and neither may the gateway.
		e.fake.SetOptions(fakeupstream.Options{Chunks: 20, ChunkDelay: time.Millisecond,
			ModelChunkDelay: map[string]time.Duration{"abandoned": 100 * time.Millisecond}})
		good := []string{"sk-good-1-0123456789", "sk-good-2-0123456789", "sk-good-3-0123456789"}
		broken, limited := "sk-broken-0123456789", "sk-limited-0123456789"
		e.importKeys("ollama", append(good, broken, limited)...)
		e.fake.SetFault(broken, fakeupstream.Fault{Status: 502})
		e.fake.SetFault(limited, fakeupstream.Fault{Status: 429, RetryAfter: "1"})
		clientTokens := []string{e.createToken("ollama"), e.createToken("ollama")}
		models := []string{"gpt-oss:120b", "qwen3-coder:480b", "deepseek-v3.1:671b"}

		tl := &tally{models: map[string][3]int64{}, tokens: map[string]int64{}}
		var next atomic.Int64
		var wg sync.WaitGroup
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		for w := 0; w < 64; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(n) {
						return
					}
					model, token := models[i%3], clientTokens[i%2]
					kind := i % 10 // 0-3 JSON, 4-6 stream, 7-8 abandoned stream, 9 client error
					body := fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":"n%d"}]}`, model, kind >= 4 && kind <= 8, i)
					switch kind {
					case 7, 8:
						model = "abandoned"
						body = fmt.Sprintf(`{"model":%q,"stream":true,"messages":[]}`, model)
					case 9:
						body, model = `{"messages":[]}`, "unknown" // no model: the upstream answers 400
					}
					req, _ := http.NewRequest("POST", e.url+"/v1/chat/completions", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+token)
					resp, err := client.Do(req)
					if err != nil {
						t.Errorf("request %d: %v", i, err)
						return
					}
					if kind == 7 || kind == 8 {
						bufio.NewReader(resp.Body).ReadString('\n') // one line, then leave
					} else {
						io.Copy(io.Discard, resp.Body)
					}
					resp.Body.Close()
					tl.add(model, tokens.Digest(token), resp.StatusCode/100 == 2)
				}
			}()
		}
		wg.Wait()
		t0 := time.Now()
		e.stop()
		t.Logf("shutdown took %v", time.Since(t0))
		checkTables(t, e, tl)
	})
}

// checkTables compares every statistics table with the clients' tally and
// the fake upstream's counters.
func checkTables(t *testing.T, e *testEnv, tl *tally) {
	t.Helper()
	tb := e.readTables(t, "ollama_api")
	if tb.Global.Total != tl.total || tb.Global.Success != tl.success || tb.Global.Failure != tl.total-tl.success {
		t.Errorf("global_stats %+v, clients counted %d requests, %d successes", tb.Global, tl.total, tl.success)
	}
	for model, want := range tl.models {
		if tb.Models[model] != want || tb.Hourly[model] != want {
			t.Errorf("model %s: model_stats %v, model_hourly %v, clients %v", model, tb.Models[model], tb.Hourly[model], want)
		}
	}
	if len(tb.Models) != len(tl.models) {
		t.Errorf("model_stats has %d models, clients used %d", len(tb.Models), len(tl.models))
	}
	for token, want := range tl.tokens {
		if tb.Tokens[token] != want {
			t.Errorf("client token request_count %d, clients sent %d", tb.Tokens[token], want)
		}
	}
	var prompt, completion int64
	for key, row := range tb.Keys {
		c := e.fake.Counts(key)
		if row.Total != c.Requests || row.Success != c.OK+c.Canceled || row.Failure != c.Failed {
			t.Errorf("key_stats %s %+v; upstream saw %+v", key, row, c)
		}
		if row.Prompt != c.PromptTokens || row.Completion != c.CompletionTokens {
			t.Errorf("key_stats tokens %s %+v; upstream sent %+v", key, row, c)
		}
		prompt, completion = prompt+row.Prompt, completion+row.Completion
	}
	total := e.fake.Total()
	if prompt != total.PromptTokens || completion != total.CompletionTokens || tb.Tok != [2]int64{prompt, completion} ||
		tb.Global.Prompt != prompt || tb.Global.Completion != completion {
		t.Errorf("tokens: keys %d/%d, models %v, global %d/%d, upstream %d/%d", prompt, completion, tb.Tok,
			tb.Global.Prompt, tb.Global.Completion, total.PromptTokens, total.CompletionTokens)
	}
	var keyRequests int64
	for _, r := range tb.Keys {
		keyRequests += r.Total
	}
	if keyRequests != total.Requests {
		t.Errorf("key_stats count %d attempts, the upstream saw %d", keyRequests, total.Requests)
	}
}
