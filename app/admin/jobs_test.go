package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/fakeupstream"
	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/store/storetest"
)

// jobEnv is the admin API of Ollama in front of the fake upstream.
type jobEnv struct {
	fake *fakeupstream.Server
	pool *pool.Pool
	app  *fiber.App
}

func newJobEnv(t *testing.T) *jobEnv {
	t.Helper()
	fake := fakeupstream.New(fakeupstream.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	st := store.New(storetest.Open(t, "sqlite"), "ollama_api")
	log := slog.New(slog.DiscardHandler)
	pl := pool.New(pool.Config{}, st, log)
	h := New(Config{AdminToken: testAdminToken, ValidateConcurrency: 2, ProbeTimeout: time.Second},
		map[string]*Provider{provider.Ollama: {Info: provider.New(provider.Ollama, srv.URL), Store: st, Pool: pl}}, log)
	app := testApp()
	h.routes(app, newStatsRoutes(h))
	return &jobEnv{fake: fake, pool: pl, app: app}
}

// do sends a request with the admin token through app.Test.
func (e *jobEnv) do(t *testing.T, method, path, contentType, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	req.Header.Set("Content-Type", contentType)
	resp, err := e.app.Test(req, 20_000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func TestValidationJobEvents(t *testing.T) {
	t.Parallel()
	e := newJobEnv(t)
	e.fake.SetFault("sk-revoked-0123456789", fakeupstream.Fault{Status: 401})
	status, body := e.do(t, "POST", "/admin/api-keys/import-with-validation", "text/plain",
		"sk-good-0123456789\nsk-revoked-0123456789\nbad key\n")
	var started jobStarted
	if status != http.StatusAccepted || json.Unmarshal([]byte(body), &started) != nil || started.Total != 3 {
		t.Fatalf("start: %d %s", status, body)
	}
	// The stream ends with the job, so app.Test returns it whole.
	status, stream := e.do(t, "GET", "/admin/jobs/"+started.JobID+"/events", "", "")
	if status != http.StatusOK || !strings.HasPrefix(stream, "event: progress\ndata: {") ||
		!strings.Contains(stream, "\n\nevent: done\ndata: {") || !strings.HasSuffix(stream, "}\n\n") {
		t.Fatalf("events: %d %q", status, stream)
	}
	if strings.Contains(stream, "0123456789") {
		t.Errorf("the stream shows a key: %s", stream)
	}
	status, body = e.do(t, "GET", "/admin/jobs/"+started.JobID+"?since=1", "", "")
	var job jobs.Snapshot
	if status != http.StatusOK || json.Unmarshal([]byte(body), &job) != nil || job.State != jobs.Done ||
		job.Valid != 1 || job.Invalid != 2 || len(job.Results) != 2 {
		t.Fatalf("job: %d %s", status, body)
	}
	if _, ok := e.pool.Get("sk-good-0123456789"); !ok || e.pool.Len() != 1 {
		t.Errorf("pool after validation: %d keys", e.pool.Len())
	}
}

// failingWriter is a client that has gone.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestEventStreamStopsForGoneClient(t *testing.T) {
	t.Parallel()
	job := jobs.NewRegistry(jobs.Config{}).Start(jobs.KindHealthCheck, "ollama", 10) // never finishes
	sub := job.Subscribe()
	defer sub.Close()
	done := make(chan struct{})
	go func() {
		streamEvents(bufio.NewWriterSize(failingWriter{}, 16), sub)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream kept waiting for a client that is gone")
	}
}

func TestJobPanicFailsTheJob(t *testing.T) {
	t.Parallel()
	e := newJobEnv(t)
	jr := newJobRoutes(New(Config{}, nil, slog.New(slog.DiscardHandler)))
	job := jr.jobs.Start(jobs.KindHealthCheck, "ollama", 1)
	e.app.Get("/panic", func(c *fiber.Ctx) error {
		jr.run(c, job, func(context.Context) (any, error) { panic("boom") })
		return c.SendStatus(fiber.StatusAccepted)
	})
	if status, body := e.do(t, "GET", "/panic", "", ""); status != fiber.StatusAccepted {
		t.Fatalf("%d %s", status, body)
	}
	select {
	case <-job.Finished():
	case <-time.After(5 * time.Second):
		t.Fatal("job never finished")
	}
	if s := job.Summary(); s.State != jobs.Failed || s.Error != "internal error" {
		t.Errorf("job after a panic: %+v", s)
	}
}
