package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// postUpload posts the import form as a browser does (multipart), with a
// file when name is set.
func (a *testApp) postUpload(path string, fields map[string]string, name, file string, header map[string]string) (*http.Response, string) {
	a.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("_csrf", a.cookies[csrfCookie])
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if name != "" {
		fw, _ := w.CreateFormFile("file", name)
		fw.Write([]byte(file))
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return a.do(req)
}

// figureOf is the value of a figure card.
func figureOf(body, label string) string {
	m := regexp.MustCompile(`<dt>` + label + `</dt><dd>([^<]*)`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

const fiveKeys = "sk-upload-key-one-0123456789\nsk-upload-key-two-0123456789\nnot----a----key\n" +
	"a@example.com----pw----session----sk-upload-key-three-0123456789\nsk-upload-key-four-0123456789\n"

func TestWebImport(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()

	// Without JavaScript: post, redirect, the result shown once.
	resp, _ := a.postUpload("/dashboard/import?provider=ollama", nil, "keys.txt", fiveKeys, nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/dashboard/import?") || !strings.Contains(loc, "result=") {
		t.Fatalf("upload: %d %s", resp.StatusCode, loc)
	}
	_, body := a.get(loc, false)
	if figureOf(body, "Imported") != "4" || figureOf(body, "Invalid") != "1" || !strings.Contains(body, `<td class="num">3</td><td>expected a key`) {
		t.Fatalf("import result:\n%.4000s", body)
	}
	if n := a.providers["ollama"].Pool.Len(); n != 4 {
		t.Errorf("pool holds %d keys, want 4", n)
	}
	if _, body := a.get(loc, false); strings.Contains(body, "Import result") {
		t.Error("the result is shown again on reload")
	}

	// HTMX, pasted text: the result card alone, duplicates counted.
	resp, body = a.postUpload("/dashboard/import?provider=ollama", map[string]string{"text": "sk-upload-key-one-0123456789\nsk-upload-key-five-0123456789"}, "", "",
		map[string]string{"HX-Request": "true"})
	if resp.StatusCode != 200 || tagRE.MatchString(body) || figureOf(body, "Imported") != "1" || figureOf(body, "Duplicates") != "1" {
		t.Errorf("HTMX import: %d\n%s", resp.StatusCode, body)
	}

	// A .json file; a malformed one and an empty form are refused in words.
	resp, body = a.postUpload("/dashboard/import?provider=openrouter", nil, "keys.json", `{"keys":["sk-or-json-key-0123456789", 7]}`,
		map[string]string{"HX-Request": "true"})
	if figureOf(body, "Imported") != "1" || !strings.Contains(body, `<td class="num">2</td>`) {
		t.Errorf("JSON upload: %d\n%s", resp.StatusCode, body)
	}
	for _, tt := range []struct{ file, want string }{{`{"keys": [`, "malformed JSON"}, {"", "Paste keys or choose a file"}} {
		name := "bad.json"
		if tt.file == "" {
			name = ""
		}
		resp, body := a.postUpload("/dashboard/import?provider=ollama", nil, name, tt.file, map[string]string{"HX-Request": "true"})
		if resp.StatusCode != 200 || !strings.Contains(body, `class="flash error"`) || !strings.Contains(body, tt.want) {
			t.Errorf("refused upload %q: %d %s", tt.file, resp.StatusCode, body)
		}
	}
}

func TestWebImportValidationJob(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	resp, body := a.postUpload("/dashboard/import?provider=ollama", map[string]string{"validate": "true", "text": "sk-probe-me-0123456789\nbad key"}, "", "",
		map[string]string{"HX-Request": "true", "HX-Current-URL": "http://x/dashboard/import?provider=ollama"})
	page := resp.Header.Get("HX-Push-Url")
	if resp.StatusCode != 200 || !strings.HasPrefix(page, "/dashboard/import?") || !strings.Contains(page, "job=") ||
		!strings.Contains(body, `id="job"`) {
		t.Fatalf("validated import: %d %s\n%s", resp.StatusCode, page, body)
	}
	u, _ := url.Parse(page)
	id := u.Query().Get("job")
	var card string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) { // the upstream does not resolve: the probe is inconclusive
		resp, card = a.get("/dashboard/jobs/"+id, true)
		if !strings.Contains(card, "every 1s") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(card, "every 1s") || !strings.Contains(card, "Imported 0 keys") || figureOf(card, "Invalid") != "1" ||
		figureOf(card, "Inconclusive") != "1" || !strings.Contains(resp.Header.Get("HX-Trigger"), "jobDone") {
		t.Fatalf("finished job: %s\n%s", resp.Header.Get("HX-Trigger"), card)
	}
	// Come back later: the page shows the job as it ended; so does its own page.
	if _, body := a.get(page, false); !strings.Contains(body, "Validated import · Ollama") || !strings.Contains(body, "Imported 0 keys") {
		t.Errorf("coming back:\n%.3000s", body)
	}
	if resp, body := a.get("/dashboard/jobs/"+id, false); resp.StatusCode != 200 || !strings.Contains(body, "<html") || !strings.Contains(body, "Bulk upload") {
		t.Errorf("job page: %d", resp.StatusCode)
	}
	if _, body := a.get("/dashboard/import?job=0123", false); !strings.Contains(body, "no longer kept") {
		t.Errorf("unknown job:\n%.3000s", body)
	}
}

// The form refuses keys no HTTP header can carry, pasted or uploaded, and
// shows each by its line; only the good key reaches the pool.
func TestWebImportRefusesUnsendableKeys(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	htmx := map[string]string{"HX-Request": "true"}
	uploads := []struct {
		name         string
		fields       map[string]string
		file, upload string
	}{
		{"pasted", map[string]string{"text": "sk-paste-good-0123456789\nsk-or-v1-…\nsk-in side-0123456789\nsk-ctl-\x01-0123456789"}, "", ""},
		{"text file", nil, "keys.txt", "sk-file-good-0123456789\nsk-or-v1-…\nsk-in side-0123456789\nsk-ctl-\x01-0123456789"},
		{"JSON file", nil, "keys.json", `{"keys":["sk-json-good-0123456789","sk-or-v1-…","sk-in side-0123456789","sk-ctl-\u0001-0123456789"]}`},
	}
	for _, tt := range uploads {
		resp, body := a.postUpload("/dashboard/import?provider=ollama", tt.fields, tt.file, tt.upload, htmx)
		if resp.StatusCode != 200 || figureOf(body, "Imported") != "1" || figureOf(body, "Invalid") != "3" {
			t.Errorf("%s: %d\n%s", tt.name, resp.StatusCode, body)
			continue
		}
		for line, reason := range map[int]string{2: "which is not ASCII", 3: "spaces or control", 4: "spaces or control"} {
			if !regexp.MustCompile(`<td class="num">` + strconv.Itoa(line) + `</td><td>[^<]*` + reason).MatchString(body) {
				t.Errorf("%s: line %d not shown as %q:\n%s", tt.name, line, reason, body)
			}
		}
	}
	if n := a.providers["ollama"].Pool.Len(); n != len(uploads) {
		t.Errorf("pool holds %d keys, want %d", n, len(uploads))
	}
}
