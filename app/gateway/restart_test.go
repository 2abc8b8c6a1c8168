package gateway_test

import (
	"net/http"
	"testing"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// Key states change in memory at once, are written in the background, and
// a restarted gateway on the same database starts from them.
func TestKeyStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, nil)
		bad, good := "sk-revoked-0123456789abcdef", "sk-fine-0123456789abcdef"
		e.importKeys("ollama", bad, good)
		token := e.createToken("ollama")
		e.fake.SetFault(bad, fakeupstream.Fault{Status: 401})
		for i := 0; i < 4 && e.fake.Counts(bad).Requests == 0; i++ {
			if status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(false)); status != http.StatusOK {
				t.Fatalf("%d %s", status, body)
			}
		}
		if h := e.health().Providers["ollama"]; h.Failed != 1 {
			t.Fatalf("before restart: %+v", h)
		}
		e.stop() // writes pending key states
		e.start()
		if h := e.health().Providers["ollama"]; h.Failed != 1 || h.Available != 1 || h.Total != 2 {
			t.Fatalf("after restart: %+v", h)
		}
		// The client token survived too.
		e.fake.Reset()
		if status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(false)); status != http.StatusOK || e.fake.Counts(bad).Requests != 0 {
			t.Fatalf("after restart: %d %s, failed key tried %d times", status, body, e.fake.Counts(bad).Requests)
		}
	})
}
