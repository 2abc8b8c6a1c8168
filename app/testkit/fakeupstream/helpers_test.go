package fakeupstream

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testFake is a fake upstream behind a real listener.
type testFake struct {
	*Server
	url    string
	client *http.Client
}

// newTestFake starts a fake with opts, closed when the test ends.
func newTestFake(t testing.TB, opts Options) *testFake {
	t.Helper()
	s := New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &testFake{Server: s, url: srv.URL, client: srv.Client()}
}

// result is a finished exchange as the client saw it.
type result struct {
	status  int
	header  http.Header
	body    []byte
	readErr error // error while reading the body
}

// do sends one request with key and reads the whole answer; err is set
// when no answer arrived at all.
func (f *testFake) do(ctx context.Context, method, path, key, body string) (result, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.url+path, rd)
	if err != nil {
		return result{}, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, readErr := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: b, readErr: readErr}, nil
}

// mustDo is do that fails the test when no answer arrived.
func (f *testFake) mustDo(t testing.TB, method, path, key, body string) result {
	t.Helper()
	res, err := f.do(context.Background(), method, path, key, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

// sse is a parsed event stream.
type sse struct {
	comments []string         // lines starting with ':'
	events   []map[string]any // every data line but [DONE], decoded
	done     bool             // data: [DONE] seen
}

// parseSSE parses body, failing the test on a data line that is not JSON
// or on anything after [DONE]. It reads with bufio.Reader, not Scanner,
// so long lines are fine.
func parseSSE(t testing.TB, body []byte) sse {
	t.Helper()
	var out sse
	r := bufio.NewReader(strings.NewReader(string(body)))
	for {
		line, err := r.ReadString('\n')
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
		case out.done:
			t.Fatalf("line after [DONE]: %q", line)
		case strings.HasPrefix(line, ":"):
			out.comments = append(out.comments, line)
		case line == "data: [DONE]":
			out.done = true
		case strings.HasPrefix(line, "data: "):
			var ev map[string]any
			if jerr := json.Unmarshal([]byte(line[len("data: "):]), &ev); jerr != nil {
				t.Fatalf("data line is not JSON: %q: %v", line, jerr)
			}
			out.events = append(out.events, ev)
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
		if errors.Is(err, io.EOF) {
			return out
		}
	}
}

// decode decodes a JSON body into a generic map, failing the test.
func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, b)
	}
	return m
}

// dig walks m along keys (strings for objects, ints for arrays).
func dig(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[p]
		case int:
			a, _ := v.([]any)
			if p >= len(a) {
				return nil
			}
			v = a[p]
		}
	}
	return v
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// splitPath turns "data.0.id" into a dig path.
func splitPath(p string) []any {
	var out []any
	for _, part := range strings.Split(p, ".") {
		if n, err := strconv.Atoi(part); err == nil {
			out = append(out, n)
		} else {
			out = append(out, part)
		}
	}
	return out
}
