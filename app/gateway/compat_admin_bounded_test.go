package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// A synchronous validation or health check waits at most a few
// PROBE_TIMEOUTs: keys whose probes have not answered by then are listed
// with the reason (unknown), the answer names the job, and the job goes
// on and finishes in the background.
func TestCompatAdminProbesBounded(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"PROBE_TIMEOUT": "300ms", "VALIDATE_CONCURRENCY": "1"})
	keys := []string{"sk-slow-1-0123456789abcdef", "sk-slow-2-0123456789abcdef", "sk-slow-3-0123456789abcdef",
		"sk-slow-4-0123456789abcdef", "sk-slow-5-0123456789abcdef", "sk-slow-6-0123456789abcdef"}
	for _, k := range keys {
		e.fake.SetFault(k, fakeupstream.Fault{FirstByteDelay: 250 * time.Millisecond})
	}
	start := time.Now()
	status, body, _ := e.do("POST", "/admin/api-keys/import-with-validation", adminToken, map[string]any{"content": strings.Join(keys, "\n")})
	took := time.Since(start)
	if status != 200 {
		t.Fatalf("import-with-validation: %d %s", status, body)
	}
	m := compatFields(t, "bounded validation", body, map[string]string{"total": "=6", "complete": "=false", "job_id": "string",
		"valid": "array", "invalid": "array"})
	if took > 2*time.Second {
		t.Errorf("answered after %v, want about 3 × PROBE_TIMEOUT (900ms)", took)
	}
	valid, invalid := len(m["valid"].([]any)), len(m["invalid"].([]any))
	if valid == 0 || invalid == 0 || valid+invalid != 6 || !strings.Contains(string(body), "not probed in time") {
		t.Errorf("%d valid, %d not yet: %s", valid, invalid, body)
	}
	job := e.waitJob(m["job_id"].(string), 10*time.Second)
	if job.Valid != 6 {
		t.Errorf("the job after the answer: %+v", job)
	}
	if n := e.health().Providers["ollama"].Total; n != 6 {
		t.Errorf("%d keys stored once the job finished, want 6", n)
	}

	status, body, _ = e.do("POST", "/admin/keys/health-check", adminToken, nil)
	if status != 200 {
		t.Fatalf("health-check: %d %s", status, body)
	}
	m = compatFields(t, "bounded health check", body, map[string]string{"complete": "=false", "results": "array"})
	unknown := 0
	for _, r := range m["results"].([]any) {
		if r.(map[string]any)["result"] == "unknown" {
			unknown++
		}
	}
	if len(m["results"].([]any)) != 6 || unknown == 0 {
		t.Errorf("health check results: %s", body)
	}
}
