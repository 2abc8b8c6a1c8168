package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keypool/keypool/app/ratelimit"
	"github.com/keypool/keypool/app/testkit/redistest"
)

// Redis going away mid-run: no client request fails, limits go on in
// memory with one warning, and move back to Redis when it returns.
func TestRedisGoesAwayMidRun(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	e := newTestEnv(t, "sqlite", ipLimitEnv(map[string]string{"REDIS_URL": srv.URL(), "RATE_LIMIT_REQUESTS": "20"}))
	e.importKeys("ollama", "sk-redis-away-0123456789")
	token := e.createToken("ollama")
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	inRedis := func(ip string) bool {
		keys, _ := rdb.Keys(context.Background(), ratelimit.KeyPattern("ip:"+ip)).Result()
		return len(keys) == 1
	}

	// Background clients, each from its own address so none is limited:
	// every one of their requests must succeed through the outage.
	var (
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		sent     atomic.Int64
		failures atomic.Int64
		firstErr atomic.Value
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, body, _ := from(t, e.url, testIP(), "POST", "/v1/chat/completions", token, chatBody(false))
				sent.Add(1)
				if status != http.StatusOK {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, string(body))
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	var once sync.Once
	stopLoad := func() { once.Do(func() { close(stop); wg.Wait() }) }
	defer stopLoad()

	ip := testIP()
	if status, body, _ := from(t, e.url, ip, "POST", "/v1/chat/completions", token, chatBody(false)); status != http.StatusOK || !inRedis(ip) {
		t.Fatalf("before the outage: %d %s, counted in redis: %v", status, body, inRedis(ip))
	}
	time.Sleep(200 * time.Millisecond)
	srv.Stop()
	time.Sleep(500 * time.Millisecond)

	// In memory the limit still holds.
	awayFromWindowEdge(t)
	ip = testIP()
	sendUnderLimit20(t, e.url, ip, token)
	status, body, h := from(t, e.url, ip, "POST", "/v1/chat/completions", token, chatBody(false))
	checkLimited(t, status, body, h, false)
	if n := strings.Count(e.logs.String(), "redis unreachable"); n != 1 {
		t.Errorf("%d warnings about the outage, want 1", n)
	}

	srv.Restart()
	ip = testIP()
	eventually(t, 10*time.Second, "limits back on redis", func() bool {
		from(t, e.url, ip, "POST", "/v1/chat/completions", token, chatBody(false))
		return inRedis(ip)
	})
	if !strings.Contains(e.logs.String(), "redis is back") {
		t.Error("no log line about redis coming back")
	}
	time.Sleep(200 * time.Millisecond)
	stopLoad()
	if n, f := sent.Load(), failures.Load(); f != 0 || n < 20 {
		t.Fatalf("%d of %d background requests failed (first: %v)", f, n, firstErr.Load())
	}
	t.Logf("%d background requests, none failed", sent.Load())
}

// sendUnderLimit20 sends the 20 requests a limit of 20 allows.
func sendUnderLimit20(t *testing.T, base, ip, token string) {
	t.Helper()
	for i := range 20 {
		if status, body, _ := from(t, base, ip, "POST", "/v1/chat/completions", token, chatBody(false)); status != http.StatusOK {
			t.Fatalf("request %d of 20 while redis is down: %d %s", i+1, status, body)
		}
	}
}
