package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// importReportJSON is the answer of every import.
type importReportJSON struct {
	Imported, Duplicates, Skipped int
	Invalid                       []struct {
		Line   int
		Reason string
	}
}

// postContent sends body with a content type and the admin token.
func (e *testEnv) postContent(path, contentType string, body []byte) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, data
}

// keyFile is an ollama.txt of 5 keys (one repeated) and 1 bad line (line
// 4), with a comment; tag keeps the keys of each call apart.
func keyFile(tag string) string {
	return fmt.Sprintf("# exported keys\n"+
		"sk-%[1]s-one-0123456789\n"+
		"a@example.com----pw----session----sk-%[1]s-two-0123456789\n"+
		"not----a----valid----line----at----all\n"+
		"b@example.com----pw----session----aid----sk-%[1]s-three-0123456789\n"+
		"sk-%[1]s-four-0123456789\n"+
		"sk-%[1]s-one-0123456789\n", tag)
}

// fileForm is a multipart form with keys as the "file" part, then fields.
func fileForm(t testing.TB, keys string, fields ...string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("file", "ollama.txt")
	if err == nil {
		_, err = fw.Write([]byte(keys))
	}
	for i := 0; err == nil && i+1 < len(fields); i += 2 {
		err = w.WriteField(fields[i], fields[i+1])
	}
	if err != nil || w.Close() != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

func TestAdminImportFromText(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, nil)
		jsonBody, _ := json.Marshal(map[string]string{"text": keyFile("json"), "provider": "openrouter"})
		formType, form := fileForm(t, keyFile("form"), "provider", "openrouter")
		tests := []struct {
			name, path, contentType string
			body                    []byte
			provider                string
		}{
			{"text/plain", "/admin/api-keys/import-from-txt", "text/plain", []byte(keyFile("text")), "ollama"},
			{"JSON text", "/admin/api-keys/import-from-txt", "application/json", jsonBody, "openrouter"},
			{"multipart file", "/admin/api-keys/import-from-txt", formType, form, "openrouter"},
			{"text with ?provider=", "/admin/api-keys/import-from-txt?provider=openrouter", "text/plain", []byte(keyFile("query")), "openrouter"},
		}
		want := map[string]int{}
		for _, tt := range tests {
			status, body := e.postContent(tt.path, tt.contentType, tt.body)
			var rep importReportJSON
			if status != http.StatusOK || json.Unmarshal(body, &rep) != nil {
				t.Fatalf("%s: %d %s", tt.name, status, body)
			}
			// Skipped: the comment, and the empty end after the last newline.
			if rep.Imported != 4 || rep.Duplicates != 1 || rep.Skipped != 2 || len(rep.Invalid) != 1 ||
				rep.Invalid[0].Line != 4 || !strings.Contains(rep.Invalid[0].Reason, "fields") {
				t.Errorf("%s: report %s", tt.name, body)
			}
			want[tt.provider] += 4
		}
		for provider, n := range want {
			if got := e.health().Providers[provider].Total; got != n {
				t.Errorf("%s pool holds %d keys, want %d", provider, got, n)
			}
		}
		// Again: everything is a duplicate now.
		status, body := e.postContent("/admin/api-keys/import-from-txt", "text/plain", []byte(keyFile("text")))
		if status != http.StatusOK || !strings.Contains(string(body), `"imported":0,"duplicates":5`) {
			t.Errorf("re-import: %d %s", status, body)
		}
	})
}

func TestAdminImportBadBodies(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"MAX_IMPORT_BYTES": "1024"})
		big := []byte(strings.Repeat("sk-big-0123456789abcdef\n", 50)) // 1,200 bytes
		formType, form := fileForm(t, string(big))
		tests := []struct {
			name, path, contentType string
			body                    []byte
			status                  int
			message                 string
		}{
			{"text over the limit", "/admin/api-keys/import-from-txt", "text/plain", big, 413, "limit is 1024"},
			{"form over the limit", "/admin/api-keys/import-from-txt", formType, form, 413, "MAX_IMPORT_BYTES"},
			{"validation over the limit", "/admin/api-keys/import-with-validation", "text/plain", big, 413, "MAX_IMPORT_BYTES"},
			{"just under the limit", "/admin/api-keys/import-from-txt", "text/plain", big[:1000], 200, ""},
			{"malformed JSON", "/admin/api-keys/import-from-txt", "application/json", []byte("{\"text\": \"sk-a\n"), 400, "line 2, column 1 (byte 15)"},
			{"JSON cut short", "/admin/api-keys/import-with-validation", "application/json", []byte(`{"keys":["sk-a",`), 400, "byte 16"},
			{"JSON without text", "/admin/api-keys/import-from-txt", "application/json", []byte(`{"file":"x"}`), 400, "JSON body needs"},
			{"form without file", "/admin/api-keys/import-from-txt", "multipart/form-data; boundary=zz", []byte("--zz--\r\n"), 400, "form needs"},
			{"unknown provider", "/admin/api-keys/import-from-txt?provider=bogus", "text/plain", []byte("sk-a-0123456789"), 400, "unknown provider"},
			{"health check bad JSON", "/admin/keys/health-check", "application/json", []byte(`{"api_keys":[1]}`), 400, "malformed JSON at line 1"},
		}
		for _, tt := range tests {
			status, body := e.postContent(tt.path, tt.contentType, tt.body)
			if status != tt.status || tt.status != 200 && !strings.Contains(string(body), `"error"`) || !strings.Contains(string(body), tt.message) {
				t.Errorf("%s: %d %s, want %d ~%q", tt.name, status, body, tt.status, tt.message)
			}
		}
		for _, path := range []string{"/admin/api-keys/import-from-txt", "/admin/api-keys/import-with-validation", "/admin/keys/health-check"} {
			if status, body, _ := e.do("POST", path, "wrong-token", "sk-a-0123456789"); status != http.StatusUnauthorized {
				t.Errorf("POST %s with a wrong token: %d %s", path, status, body)
			}
		}
		for _, path := range []string{"/admin/jobs/0123", "/admin/jobs/0123/events"} {
			if status, body, _ := e.do("GET", path, "", nil); status != http.StatusUnauthorized {
				t.Errorf("GET %s without a token: %d %s", path, status, body)
			}
		}
	})
}

func TestAdminImportWithValidation(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"PROBE_TIMEOUT": "2s"})
		for _, provider := range []string{"ollama", "openrouter"} {
			k := func(name string) string { return "sk-" + provider + "-" + name + "-0123456789" }
			e.fake.SetFault(k("revoked"), fakeupstream.Fault{Status: 401})
			e.fake.SetFault(k("broke"), fakeupstream.Fault{Status: 402})
			e.fake.SetFault(k("busy"), fakeupstream.Fault{Status: 429})
			e.fake.SetFault(k("down"), fakeupstream.Fault{Status: 503})
			// Lines: 1 good, 2 revoked, 3 bad, 4 broke, 5 busy, 6 down, 7 good2.
			keys := []any{k("good"), k("revoked"), "has space", k("broke"), k("busy"), k("down"),
				map[string]string{"api_key": k("good2"), "username": "u@example.com"}}
			id, total := e.startJob("/admin/api-keys/import-with-validation", map[string]any{"provider": provider, "keys": keys})
			if total != 7 {
				t.Errorf("%s: total %d", provider, total)
			}
			events := e.jobStream(id, 20*time.Second)
			var streamed []jobLineJSON
			for _, ev := range events[:len(events)-1] {
				if ev.name != "progress" {
					t.Errorf("%s: event %q before done", provider, ev.name)
				}
				streamed = append(streamed, ev.data.Lines...)
			}
			done := events[len(events)-1].data
			if len(streamed) != 7 || done.State != "done" || done.Valid != 3 || done.Invalid != 3 || done.Unknown != 1 ||
				done.Report["imported"] != float64(3) {
				t.Fatalf("%s: %d lines streamed, done %s", provider, len(streamed), events[len(events)-1].raw)
			}
			job := e.waitJob(id, time.Second)
			got := byLine(job.Results)
			want := map[int]string{1: "valid", 2: "invalid", 3: "invalid", 4: "invalid", 5: "valid", 6: "unknown", 7: "valid"}
			for line, result := range want {
				if got[line].Result != result {
					t.Errorf("%s line %d: %+v, want %s", provider, line, got[line], result)
				}
				if strings.Contains(got[line].Key, "0123456789") {
					t.Errorf("%s line %d shows the key: %q", provider, line, got[line].Key)
				}
			}
			if !strings.Contains(got[5].Reason, "rate limited") || !strings.Contains(got[6].Reason, "503") || !strings.Contains(got[3].Reason, "spaces") {
				t.Errorf("%s reasons: %+v", provider, job.Results)
			}
			if n := e.health().Providers[provider].Total; n != 3 {
				t.Errorf("%s: %d keys stored, want 3 (good, busy, good2)", provider, n)
			}
			t.Logf("%s: %d events, first %s", provider, len(events), events[0].raw)
		}
		// The text forms go through the same reader as import-from-txt.
		status, body := e.postContent("/admin/api-keys/import-with-validation?async=true", "text/plain", []byte(keyFile("validated")))
		if status != http.StatusAccepted {
			t.Fatalf("text: %d %s", status, body)
		}
		var started struct {
			JobID string `json:"job_id"`
		}
		_ = json.Unmarshal(body, &started)
		job := e.waitJob(started.JobID, 20*time.Second)
		if job.Total != 5 || job.Valid != 4 || job.Invalid != 1 || job.Report["imported"] != float64(4) || job.Report["duplicates"] != float64(1) {
			t.Errorf("text job: %+v", job)
		}
	})
}
