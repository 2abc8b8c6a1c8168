package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// unsendable are keys no HTTP header can carry, each with a part of the
// reason an import gives: the README's own placeholder, a space inside,
// a control character.
var unsendable = []struct{ key, reason string }{
	{"sk-or-v1-…", "not ASCII"},
	{"sk-in side-0123456789", "spaces"},
	{"sk-ctl-\x01-0123456789", "control"},
}

// Every way of adding keys refuses a key that could never be sent
// upstream, reporting its line, and stores only the good ones.
func TestImportRefusesUnsendableKeys(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"PROBE_TIMEOUT": "2s"})
	lines := func(tag string) []string {
		out := []string{"sk-" + tag + "-good-0123456789"}
		for _, u := range unsendable {
			out = append(out, u.key)
		}
		return out
	}
	text := func(tag string) string { return strings.Join(lines(tag), "\n") }
	keysJSON := func(tag string) []byte {
		b, _ := json.Marshal(map[string]any{"keys": lines(tag)})
		return b
	}
	textJSON, _ := json.Marshal(map[string]string{"text": text("txt-json")})
	formType, form := fileForm(t, text("txt-form"))
	imports := []struct {
		name, path, contentType string
		body                    []byte
	}{
		{"import JSON", "/admin/api-keys/import", "application/json", keysJSON("json")},
		{"import-from-txt text/plain", "/admin/api-keys/import-from-txt", "text/plain", []byte(text("txt-plain"))},
		{"import-from-txt JSON text", "/admin/api-keys/import-from-txt", "application/json", textJSON},
		{"import-from-txt multipart file", "/admin/api-keys/import-from-txt", formType, form},
	}
	for _, tt := range imports {
		status, body := e.postContent(tt.path, tt.contentType, tt.body)
		var rep importReportJSON
		if status != http.StatusOK || json.Unmarshal(body, &rep) != nil {
			t.Fatalf("%s: %d %s", tt.name, status, body)
		}
		if rep.Imported != 1 || len(rep.Invalid) != len(unsendable) {
			t.Errorf("%s: report %s, want 1 imported and %d invalid", tt.name, body, len(unsendable))
			continue
		}
		for i, u := range unsendable {
			if inv := rep.Invalid[i]; inv.Line != i+2 || !strings.Contains(inv.Reason, u.reason) {
				t.Errorf("%s: invalid %+v, want line %d with %q", tt.name, inv, i+2, u.reason)
			}
		}
	}

	// With validation: refused before any probe, reported per line.
	id, total := e.startJob("/admin/api-keys/import-with-validation", map[string]any{"keys": lines("validated")})
	if total != 1+len(unsendable) {
		t.Errorf("validated import: total %d", total)
	}
	job := e.waitJob(id, 20*time.Second)
	got := byLine(job.Results)
	for i, u := range unsendable {
		if r := got[i+2]; r.Result != "invalid" || !strings.Contains(r.Reason, u.reason) {
			t.Errorf("validated import line %d: %+v, want invalid with %q", i+2, r, u.reason)
		}
	}

	// One key at a time: 400 naming the field.
	for _, u := range unsendable {
		status, body, _ := e.do("POST", "/admin/api-keys", adminToken, map[string]string{"api_key": u.key})
		if status != http.StatusBadRequest || !strings.Contains(string(body), "api_key") || !strings.Contains(string(body), u.reason) {
			t.Errorf("POST /admin/api-keys %q: %d %s, want 400 naming api_key and %q", u.key, status, body, u.reason)
		}
	}

	// Only the good key of each import is stored (the validated one's too).
	if n := e.health().Providers["ollama"].Total; n != len(imports)+1 {
		t.Errorf("the pool holds %d keys, want %d", n, len(imports)+1)
	}
}
