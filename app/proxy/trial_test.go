package proxy

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// mountTrial puts the target's trial handlers under /trial, behind a
// middleware shaped like the dashboard's: a context that ends when the
// handler returns.
func (e *testEnv) mountTrial() {
	chat, models := e.proxy.Trial(e.target)
	g := e.app.Group("/trial", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithCancel(c.UserContext())
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	})
	g.Post("/chat", chat)
	g.Get("/models", models)
}

func TestTrialNamesTheServingKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		attempts []fakeupstream.Fault
		tries    string
	}{
		{"json, first key answers", chatBody, nil, "1"},
		{"json, past a bad key", chatBody, []fakeupstream.Fault{{Status: 401}}, "2"},
		{"stream, past a rate-limited key", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			[]fakeupstream.Fault{{Status: 429, RetryAfter: "30"}}, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, envOptions{keys: []string{"sk-key-aaaaaaaaaaaaaaaaaaaa", "sk-key-bbbbbbbbbbbbbbbbbbbb"}, attempts: tt.attempts})
			e.mountTrial()
			base := e.listen()
			// No Authorization: the dashboard's session stands for the token.
			resp, err := http.Post(base+"/trial/chat", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 {
				t.Fatalf("trial got %d %s, want 200", resp.StatusCode, body)
			}
			out := e.rec.one(t)
			if out.Key == "" || out.Token != "" || !out.Success {
				t.Fatalf("outcome key %q token %q success %v: want the serving key, no client token, a success", out.Key, out.Token, out.Success)
			}
			if got, want := resp.Header.Get(HeaderTrialKey), strings.ReplaceAll(redact.Key(out.Key), "…", "..."); got != want || strings.Contains(got, out.Key) {
				t.Errorf("%s = %q, want the masked serving key %q", HeaderTrialKey, got, want)
			}
			if got := resp.Header.Get(HeaderTrialAttempts); got != tt.tries {
				t.Errorf("%s = %q, want %s", HeaderTrialAttempts, got, tt.tries)
			}
			if strings.Contains(tt.body, `"stream":true`) && !strings.Contains(string(body), "[DONE]") {
				t.Errorf("the stream did not reach its end after the handler returned:\n%s", body)
			}
		})
	}
}

func TestTrialModels(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{cfg: Config{ModelsRequireToken: true}})
	e.mountTrial()
	resp, err := e.app.Test(httptest.NewRequest(http.MethodGet, "/trial/models", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Scan()
	if resp.StatusCode != 200 || !strings.Contains(sc.Text(), `"data"`) {
		t.Fatalf("trial models got %d %s, want 200 with the list (MODELS_REQUIRE_TOKEN closes client routes only)", resp.StatusCode, sc.Text())
	}
}

// TestClientRoutesNameNoKey: only trials say which key served them.
func TestClientRoutesNameNoKey(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{})
	e.mountTrial()
	resp, body := e.chat(chatBody)
	if resp.StatusCode != 200 {
		t.Fatalf("chat got %d %s", resp.StatusCode, body)
	}
	for _, h := range []string{HeaderTrialKey, HeaderTrialAttempts} {
		if v := resp.Header.Get(h); v != "" {
			t.Errorf("a client route answered %s: %q", h, v)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/trial/chat", strings.NewReader(chatBody))
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get(HeaderTrialKey) == "" {
		t.Errorf("the trial route did not name its key: the check above could not fail")
	}
}
