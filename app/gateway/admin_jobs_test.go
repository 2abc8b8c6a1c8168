package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// jobJSON is GET /admin/jobs/:id (and the data of its events).
type jobJSON struct {
	ID, Kind, Provider, State            string
	Total, Done, Valid, Invalid, Unknown int
	Report                               map[string]any
	Results, Lines                       []jobLineJSON
	StartedAt                            time.Time  `json:"started_at"`
	FinishedAt                           *time.Time `json:"finished_at"`
}

type jobLineJSON struct {
	Line                        int
	Key, Result, Reason, Action string
}

// jobEvent is one Server-Sent Event of a job.
type jobEvent struct {
	name string
	data jobJSON
	raw  string
}

// startJob posts body to path with ?async=true and returns the job id
// from the 202.
func (e *testEnv) startJob(path string, body any) (string, int) {
	e.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	path += sep + "async=true"
	status, data, _ := e.do("POST", path, adminToken, body)
	var out struct {
		JobID string `json:"job_id"`
		Total int
	}
	if status != http.StatusAccepted || json.Unmarshal(data, &out) != nil || out.JobID == "" {
		e.t.Fatalf("POST %s: %d %s", path, status, data)
	}
	return out.JobID, out.Total
}

// jobStream reads a job's events until "done" (or d passes).
func (e *testEnv) jobStream(id string, d time.Duration) []jobEvent {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/admin/jobs/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		e.t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	var events []jobEvent
	r := bufio.NewReader(resp.Body)
	var ev jobEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			e.t.Fatalf("event stream ended before done after %d events: %v", len(events), err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.raw = strings.TrimPrefix(line, "data: ")
			if err := json.Unmarshal([]byte(ev.raw), &ev.data); err != nil {
				e.t.Fatalf("event data: %v: %s", err, ev.raw)
			}
		case line == "" && ev.name != "":
			events = append(events, ev)
			if ev.name == "done" {
				return events
			}
			ev = jobEvent{}
		}
	}
}

// waitJob polls a job until it is no longer running.
func (e *testEnv) waitJob(id string, d time.Duration) jobJSON {
	e.t.Helper()
	var job jobJSON
	eventually(e.t, d, "job "+id+" finishes", func() bool {
		status, body, _ := e.do("GET", "/admin/jobs/"+id, adminToken, nil)
		if status != http.StatusOK || json.Unmarshal(body, &job) != nil {
			e.t.Fatalf("GET job: %d %s", status, body)
		}
		return job.State != "running"
	})
	return job
}

// byLine indexes a job's results by line.
func byLine(lines []jobLineJSON) map[int]jobLineJSON {
	m := map[int]jobLineJSON{}
	for _, l := range lines {
		m[l.Line] = l
	}
	return m
}

func TestAdminHealthCheck(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, nil)
		keys := []string{"sk-hc-a-0123456789", "sk-hc-b-0123456789", "sk-hc-c-0123456789", "sk-hc-d-0123456789"}
		e.importKeys("ollama", keys...)
		e.fake.SetFault(keys[0], fakeupstream.Fault{Status: 401})
		e.fake.SetFault(keys[2], fakeupstream.Fault{Status: 500})

		id, total := e.startJob("/admin/keys/health-check", map[string]any{})
		job := e.waitJob(id, 20*time.Second)
		got := byLine(job.Results)
		if total != 4 || job.Valid != 2 || job.Invalid != 1 || job.Unknown != 1 || got[1].Action != "marked_failed" ||
			got[3].Action != "none" || job.Report["marked_failed"] != float64(1) {
			t.Fatalf("first check (total %d): %+v", total, job)
		}
		if h := e.health().Providers["ollama"]; h.Failed != 1 || h.Available != 3 {
			t.Fatalf("after the first check: %+v", h)
		}

		// The key answers again: a check of it (and of a stranger) brings it back.
		e.fake.ClearFaults()
		id, total = e.startJob("/admin/keys/health-check?provider=ollama", map[string]any{"api_keys": []string{keys[0], "sk-stranger-0123456789", keys[0]}})
		job = e.waitJob(id, 20*time.Second)
		got = byLine(job.Results)
		if total != 2 || got[1].Action != "enabled" || got[2].Action != "not_in_pool" || job.Report["enabled"] != float64(1) {
			t.Fatalf("second check (total %d): %+v", total, job)
		}
		if h := e.health().Providers["ollama"]; h.Failed != 0 || h.Available != 4 {
			t.Fatalf("after the second check: %+v", h)
		}
		// Nothing to check: the job ends at once.
		id, _ = e.startJob("/admin/keys/health-check?provider=openrouter", nil)
		if job := e.waitJob(id, 5*time.Second); job.State != "done" || job.Total != 0 {
			t.Errorf("empty check: %+v", job)
		}
	})
}

func TestAdminUnknownJob(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, nil)
		for _, path := range []string{"/admin/jobs/nope", "/admin/jobs/nope/events", "/admin/jobs/0123456789abcdef01234567"} {
			if status, body, _ := e.do("GET", path, adminToken, nil); status != http.StatusNotFound || !strings.Contains(string(body), `"error"`) {
				t.Errorf("GET %s: %d %s", path, status, body)
			}
		}
	})
}

// TestHealthCheckThousandKeys is the benchmark: 1,000 keys behind
// 50 ms of upstream latency, checked at the default concurrency (8).
func TestHealthCheckThousandKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~7 s")
	}
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, nil)
		keys := make([]string, 1000)
		for i := range keys {
			keys[i] = fmt.Sprintf("sk-thousand-%04d-0123456789", i)
		}
		e.importKeys("ollama", keys...)
		for _, i := range []int{7, 500, 999} {
			e.fake.SetFault(keys[i], fakeupstream.Fault{Status: 401})
		}
		e.fake.SetOptions(fakeupstream.Options{Latency: 50 * time.Millisecond})
		e.fake.ResetPeak()

		start := time.Now()
		id, _ := e.startJob("/admin/keys/health-check", nil)
		events := e.jobStream(id, 60*time.Second)
		elapsed := time.Since(start)
		done := events[len(events)-1].data
		peak := e.fake.PeakInFlight()
		t.Logf("health check of 1000 keys at 50 ms latency: %v (%d events, peak %d probes in flight, ideal %v)",
			elapsed.Round(time.Millisecond), len(events), peak, 1000/8*50*time.Millisecond)
		if done.Done != 1000 || done.Valid != 997 || done.Invalid != 3 {
			t.Errorf("done: %s", events[len(events)-1].raw)
		}
		if peak > 8 || peak < 2 {
			t.Errorf("peak in flight %d, want at most VALIDATE_CONCURRENCY (8)", peak)
		}
		if c := e.fake.Total(); c.Requests != 1000 {
			t.Errorf("%d probes reached the upstream, want 1000", c.Requests)
		}
		// The bound is 10 s; -race and a busy 2-core machine get slack.
		if elapsed > 30*time.Second {
			t.Errorf("took %v", elapsed)
		}
		if h := e.health().Providers["ollama"]; h.Failed != 3 {
			t.Errorf("after the check: %+v", h)
		}
	})
}
