package admin

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

func TestValidationJobEvents(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, "sqlite", operator.Config{ValidateConcurrency: 2})
	e.fake.SetFault("sk-revoked-0123456789", fakeupstream.Fault{Status: 401})
	status, body := e.do(t, "POST", "/admin/api-keys/import-with-validation?async=true", "text/plain",
		"sk-good-0123456789\nsk-revoked-0123456789\nbad key\n")
	var started operator.JobStarted
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
	if status, body := e.do(t, "GET", "/admin/jobs/nope", "", ""); status != http.StatusNotFound || !strings.Contains(body, `"error"`) {
		t.Errorf("unknown job: %d %s", status, body)
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
