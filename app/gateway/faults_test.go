package gateway_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// The fault matrix: for every way an upstream can misbehave, what the
// client gets (status, body shape, whether another key answered), the
// faulty key's state afterwards, and the statistics. The client never
// waits longer than UPSTREAM_TIMEOUT + 1 s.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	const timeout = 2 * time.Second
	type want struct {
		status   int  // what the client gets
		failover bool // the good key answered after the bad one
		state    string
		success  bool // counted as a success in global_stats
	}
	tests := []struct {
		name   string
		fault  fakeupstream.Fault
		stream bool
		opts   fakeupstream.Options
		env    map[string]string
		want   want
	}{
		{name: "401", fault: fakeupstream.Fault{Status: 401}, want: want{200, true, "failed", true}},
		{name: "402", fault: fakeupstream.Fault{Status: 402}, want: want{200, true, "failed", true}},
		{name: "403", fault: fakeupstream.Fault{Status: 403}, want: want{200, true, "failed", true}},
		{name: "429 Retry-After", fault: fakeupstream.Fault{Status: 429, RetryAfter: "120"}, want: want{200, true, "cooling", true}},
		{name: "429 bare", fault: fakeupstream.Fault{Status: 429}, want: want{200, true, "cooling", true}},
		{name: "429 quota window", fault: fakeupstream.Fault{Status: 429, Message: "you've reached your hourly usage limit"}, want: want{200, true, "failed", true}},
		{name: "500", fault: fakeupstream.Fault{Status: 500}, want: want{200, true, "resting", true}},
		{name: "502", fault: fakeupstream.Fault{Status: 502}, want: want{200, true, "resting", true}},
		{name: "503", fault: fakeupstream.Fault{Status: 503}, want: want{200, true, "resting", true}},
		{name: "504", fault: fakeupstream.Fault{Status: 504}, want: want{200, true, "resting", true}},
		{name: "reset before headers", fault: fakeupstream.Fault{ResetBeforeHeaders: true}, want: want{200, true, "resting", true}},
		{name: "slow first byte", fault: fakeupstream.Fault{FirstByteDelay: 10 * time.Second}, want: want{200, true, "resting", true}},
		{name: "malformed JSON", fault: fakeupstream.Fault{MalformedJSON: true}, want: want{200, true, "resting", true}},
		{name: "oversized body", fault: fakeupstream.Fault{}, opts: fakeupstream.Options{LongLine: 300 << 10},
			env: map[string]string{"MAX_RESPONSE_BYTES": "102400"}, want: want{502, false, "untouched", false}},
		// Once the first byte reached the client there is no failover: the
		// stream ends early and the key is counted.
		{name: "stream cut mid-way", fault: fakeupstream.Fault{CutAfterChunks: 2}, stream: true, want: want{200, false, "counted", false}},
		{name: "stream malformed chunk", fault: fakeupstream.Fault{MalformedJSON: true}, stream: true, want: want{200, false, "untouched", true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"UPSTREAM_TIMEOUT": timeout.String(), "STATS_FLUSH_INTERVAL": "100ms"}
			for k, v := range tt.env {
				env[k] = v
			}
			e := newTestEnv(t, "sqlite", env)
			if tt.opts.LongLine > 0 {
				e.fake.SetOptions(tt.opts)
			}
			bad, good := "sk-fault-bad-0123456789", "sk-fault-good-0123456789"
			e.importKeys("ollama", bad)
			token := e.createToken("ollama")
			if tt.want.failover {
				e.importKeys("ollama", good)
			}
			e.fake.SetFault(bad, tt.fault)
			start := time.Now()
			var status int
			var body []byte
			// With two keys, round robin may start on the good one: send
			// until the bad key was tried once.
			for i := 0; i < 4 && e.fake.Counts(bad).Requests == 0; i++ {
				status, body = faultRequest(t, e, token, tt.stream)
			}
			if d := time.Since(start); d > timeout+time.Second {
				t.Fatalf("the client waited %v, more than UPSTREAM_TIMEOUT + 1s", d)
			}
			if e.fake.Counts(bad).Requests != 1 {
				t.Fatalf("bad key tried %d times, want once", e.fake.Counts(bad).Requests)
			}
			if status != tt.want.status {
				t.Fatalf("status %d, want %d: %.300s", status, tt.want.status, body)
			}
			if status != 200 {
				assertOpenAIError(t, body)
			}
			if tt.want.failover && e.fake.Counts(good).OK == 0 {
				t.Errorf("no failover to the good key: %+v", e.fake.Counts(good))
			}
			checkFaultState(t, e, tt.want.state)
			e.stop()
			tb := e.readTables(t, "ollama_api")
			if tb.Keys[bad].Total != 1 || tb.Keys[bad].Success != 0 && tt.want.state != "untouched" {
				t.Errorf("key_stats of the bad key %+v", tb.Keys[bad])
			}
			if tt.want.success != (tb.Global.Success == tb.Global.Total) {
				t.Errorf("global_stats %+v, want success=%v", tb.Global, tt.want.success)
			}
		})
	}
}

func faultRequest(t *testing.T, e *testEnv, token string, stream bool) (int, []byte) {
	t.Helper()
	resp := e.send("POST", "/v1/chat/completions", token, chatBody(stream))
	defer resp.Body.Close()
	body, _ := io.ReadAll(bufio.NewReader(resp.Body)) // a cut stream ends with an error: keep what came
	return resp.StatusCode, body
}

func checkFaultState(t *testing.T, e *testEnv, state string) {
	t.Helper()
	h := e.health().Providers["ollama"]
	switch state {
	case "failed":
		if h.Failed != 1 {
			t.Errorf("want the bad key failed: %+v", h)
		}
	case "cooling":
		if h.CoolingDown != 1 || h.Failed != 0 {
			t.Errorf("want the bad key cooling down: %+v", h)
		}
	case "resting": // a failure of its own (the good key answered): a short rest, not failed
		if h.CoolingDown != 1 || h.Failed != 0 || h.Active != 2 {
			t.Errorf("want the bad key resting, still active: %+v", h)
		}
	case "counted", "untouched":
		if h.Failed != 0 || h.CoolingDown != 0 {
			t.Errorf("want the bad key still available: %+v", h)
		}
	}
}

// With the upstream's port closed (connection refused) every key fails
// fast, is counted, and the client gets 502 in OpenAI's shape.
func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	e := newTestEnv(t, "sqlite", map[string]string{"OLLAMA_BASE_URL": closed, "MAX_RETRIES": "2"})
	e.importKeys("ollama", "sk-refused-1-0123456789", "sk-refused-2-0123456789")
	token := e.createToken("ollama")
	start := time.Now()
	status, body, _ := e.do("POST", "/v1/chat/completions", token, chatBody(false))
	if status != http.StatusBadGateway || !strings.Contains(string(body), "upstream_unreachable") || time.Since(start) > time.Second {
		t.Fatalf("%d %s after %v", status, body, time.Since(start))
	}
	var shape struct{ Error struct{ Message string } }
	if json.Unmarshal(body, &shape) != nil || strings.Contains(shape.Error.Message, closed) {
		t.Errorf("error message leaks the upstream URL or is not JSON: %s", body)
	}
}
