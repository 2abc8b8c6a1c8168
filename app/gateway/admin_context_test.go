package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/migrations"
)

// keysLock holds ACCESS EXCLUSIVE on ollama_api_keys from its own
// connection, so that every store call reading the keys waits on it.
type keysLock struct {
	t  *testing.T
	db *store.DB
}

func newKeysLock(t *testing.T, e *testEnv) *keysLock {
	t.Helper()
	db, err := store.Open(context.Background(), e.cfg.DatabaseURL, e.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &keysLock{t: t, db: db}
}

// hold takes the lock and returns its release (also run when the test
// ends, before the gateway stops).
func (l *keysLock) hold() (release func()) {
	l.t.Helper()
	tx := l.db.Gorm.Begin()
	if err := tx.Exec(`LOCK TABLE ollama_api_keys IN ACCESS EXCLUSIVE MODE`).Error; err != nil {
		l.t.Fatal(err)
	}
	release = sync.OnceFunc(func() { tx.Rollback() })
	l.t.Cleanup(release)
	return release
}

// waiting counts the queries of the test's database waiting on a lock.
func (l *keysLock) waiting() int {
	l.t.Helper()
	var n int
	if err := l.db.Gorm.Raw(`SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`).Scan(&n).Error; err != nil {
		l.t.Fatal(err)
	}
	return n
}

// TestAdminStoreCallsEnd: an admin API request and a dashboard page whose
// store query waits (on a lock held by the test) see that query cancelled
// in PostgreSQL within a second of their client leaving, and at
// ADMIN_REQUEST_TIMEOUT when the client stays, with a 503 naming it.
func TestAdminStoreCallsEnd(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	tests := []struct {
		name    string
		timeout string
		leave   bool // the client hangs up while its query waits
	}{
		{name: "client leaves", timeout: "30s", leave: true},
		{name: "deadline passes", timeout: "1s"},
	}
	routes := []struct {
		name, path string
		page       bool // signed in with a dashboard session, not the admin token
	}{
		{name: "admin API", path: "/admin/api-keys?provider=ollama"},
		{name: "dashboard page", path: "/dashboard/keys?provider=ollama", page: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, migrations.Postgres, map[string]string{"ADMIN_REQUEST_TIMEOUT": tt.timeout, "SYNC_INTERVAL": "0"})
			lock := newKeysLock(t, e)
			cookies := signIn(t, e)
			for _, rt := range routes {
				release := lock.hold()
				ctx, hangUp := context.WithCancel(context.Background())
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+rt.path, nil)
				if rt.page {
					for k, v := range cookies {
						req.AddCookie(&http.Cookie{Name: k, Value: v})
					}
				} else {
					req.Header.Set("Authorization", "Bearer "+adminToken)
				}
				type answer struct {
					status int
					body   string
					err    error
				}
				answered := make(chan answer, 1)
				start := time.Now()
				go func() {
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						answered <- answer{err: err}
						return
					}
					defer resp.Body.Close()
					body, _ := io.ReadAll(resp.Body)
					answered <- answer{status: resp.StatusCode, body: string(body)}
				}()
				eventually(t, 5*time.Second, rt.name+": its query waits on the lock", func() bool { return lock.waiting() > 0 })
				if tt.leave {
					hangUp()
					left := time.Now()
					eventually(t, 5*time.Second, rt.name+": its query ends", func() bool { return lock.waiting() == 0 })
					if d := time.Since(left); d > time.Second {
						t.Errorf("%s: the query ran %v after the client left, want under 1s", rt.name, d)
					}
					<-answered
				} else {
					var a answer
					select {
					case a = <-answered:
					case <-time.After(10 * time.Second):
						t.Fatalf("%s: no answer within 10s of a query that waits for ever", rt.name)
					}
					d := time.Since(start)
					if a.err != nil || a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "ADMIN_REQUEST_TIMEOUT (1s)") {
						t.Errorf("%s: %d %q %v, want 503 naming ADMIN_REQUEST_TIMEOUT", rt.name, a.status, a.body, a.err)
					}
					if d < time.Second || d > 3*time.Second {
						t.Errorf("%s: answered after %v, want about ADMIN_REQUEST_TIMEOUT (1s)", rt.name, d)
					}
					eventually(t, time.Second, rt.name+": its query ends", func() bool { return lock.waiting() == 0 })
				}
				hangUp()
				release()
			}
		})
	}
}

// signIn signs in to the dashboard and returns the session's cookies.
func signIn(t *testing.T, e *testEnv) map[string]string {
	t.Helper()
	br := newFormClient(t)
	if status, _ := br.do("GET", e.url+"/login", nil); status != http.StatusOK {
		t.Fatalf("GET /login: %d", status)
	}
	form := url.Values{"token": {adminToken}, "_csrf": {br.cookies["kp_csrf"]}, "next": {"/dashboard"}}
	if status, body := br.do("POST", e.url+"/login", form); status != http.StatusSeeOther || br.cookies["kp_session"] == "" {
		t.Fatalf("sign in: %d %.300s", status, body)
	}
	return br.cookies
}

// TestJobEventsOutliveTheRequestDeadline: a health check that runs past
// ADMIN_REQUEST_TIMEOUT is not cut, and neither is its event stream.
func TestJobEventsOutliveTheRequestDeadline(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"ADMIN_REQUEST_TIMEOUT": "1s", "VALIDATE_CONCURRENCY": "1"})
		keys := make([]string, 12)
		for i := range keys {
			keys[i] = fmt.Sprintf("sk-deadline-%02d-0123456789", i)
		}
		e.importKeys("ollama", keys...)
		e.fake.SetOptions(fakeupstream.Options{Latency: 150 * time.Millisecond}) // 12 probes in a row: ~1.8 s

		id, _ := e.startJob("/admin/keys/health-check?provider=ollama", nil)
		start := time.Now()
		events := e.jobStream(id, 30*time.Second)
		elapsed := time.Since(start)
		done := events[len(events)-1].data
		if done.Done != len(keys) || done.Valid != len(keys) {
			t.Errorf("done after %v: %s", elapsed, events[len(events)-1].raw)
		}
		if elapsed < 1200*time.Millisecond {
			t.Errorf("the stream ended after %v: the job did not outlast ADMIN_REQUEST_TIMEOUT (1s), so the test proves nothing", elapsed)
		}
	})
}
