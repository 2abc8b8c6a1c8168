package gateway_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypool/keypool/app/gateway"
	"github.com/keypool/keypool/app/tokens"
)

// load sends chat requests (JSON and streams, three models) from conc
// clients to the given gateway URLs in turn until n were sent or stop is
// closed, tallying every request that got an answer.
type load struct {
	urls  []string
	token string
	conc  int
	n     int64
	stop  chan struct{}
	tally *tally
	errs  atomic.Int64 // requests that got no answer (connection refused, reset)
}

func newLoad(urls []string, token string, conc int, n int64) *load {
	return &load{urls: urls, token: token, conc: conc, n: n, stop: make(chan struct{}),
		tally: &tally{models: map[string][3]int64{}, tokens: map[string]int64{}}}
}

func (l *load) run(t testing.TB) {
	var next atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: l.conc}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	models := []string{"gpt-oss:120b", "qwen3-coder:480b", "deepseek-v3.1:671b"}
	for w := 0; w < l.conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				i := next.Add(1) - 1
				if i >= l.n {
					return
				}
				model := models[i%3]
				body := fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":"n%d"}]}`, model, i%2 == 1, i)
				req, _ := http.NewRequest("POST", l.urls[int(i)%len(l.urls)]+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+l.token)
				resp, err := client.Do(req)
				if err != nil {
					l.errs.Add(1)
					time.Sleep(5 * time.Millisecond)
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Errorf("request %d: answer cut: %v", i, err)
					continue
				}
				l.tally.add(model, tokens.Digest(l.token), resp.StatusCode/100 == 2)
			}
		}()
	}
	wg.Wait()
}

// instance starts another gateway on the env's configuration (and so on
// its database), returning its URL and a stop function.
func (e *testEnv) instance(t testing.TB) (string, func()) {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(e.logs, nil))
	gw, err := gateway.New(context.Background(), e.cfg, log, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gw.Serve(ln)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := gw.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return "http://" + ln.Addr().String(), stop
}
