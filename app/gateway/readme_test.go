package gateway_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmeCall is a curl command of the README followed by the answer it
// shows ("# {…}" on the next line).
type readmeCall struct {
	method, path, body, answer string
}

// readmeCalls finds, in the README's sh blocks, every curl command to $KP
// whose answer is shown.
func readmeCalls(t *testing.T) []readmeCall {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var (
		calls   []readmeCall
		command string // the curl command read so far, continuations joined
		last    string // the last complete curl command
	)
	path := regexp.MustCompile(`"?\$KP(/[^"\s]*)"?`)
	body := regexp.MustCompile(`-d '([^']*)'`)
	method := regexp.MustCompile(`-X (\w+)`)
	for _, line := range strings.Split(string(readme), "\n") {
		switch {
		case command != "":
			command += " " + strings.TrimSuffix(strings.TrimSpace(line), "\\")
			if !strings.HasSuffix(line, "\\") {
				last, command = command, ""
			}
			continue
		case strings.HasPrefix(line, "curl "):
			command = strings.TrimSuffix(line, "\\")
			if !strings.HasSuffix(line, "\\") {
				last, command = command, ""
			}
			continue
		case strings.HasPrefix(line, "# {") && last != "":
			c := readmeCall{method: "GET", answer: strings.TrimPrefix(line, "# ")}
			if m := method.FindStringSubmatch(last); m != nil {
				c.method = m[1]
			}
			if m := path.FindStringSubmatch(last); m != nil {
				c.path = m[1]
			}
			if m := body.FindStringSubmatch(last); m != nil {
				c.body = m[1]
			}
			calls = append(calls, c)
		}
		last = ""
	}
	return calls
}

// The answers the README's quick start shows are what the gateway answers
// to those very commands: the same fields in the same order, the same
// values, where "…" stands for the rest of a generated value.
func TestREADMEAnswers(t *testing.T) {
	t.Parallel()
	calls := readmeCalls(t)
	if len(calls) < 2 {
		t.Fatalf("found %d curl commands with an answer in the README: the reader is stale", len(calls))
	}
	e := newTestEnv(t, "sqlite", nil)
	for _, c := range calls {
		status, got, _ := e.do(c.method, c.path, adminToken, c.body)
		if status/100 != 2 {
			t.Errorf("%s %s: %d %s", c.method, c.path, status, got)
			continue
		}
		if !sameShape(t, c.answer, string(bytes.TrimSpace(got))) {
			t.Errorf("%s %s %s:\nREADME shows %s\ngateway says %s", c.method, c.path, c.body, c.answer, got)
		}
	}
}

// sameShape reports whether the JSON got matches the README's want: the
// object keys in the same order, equal values, and a string with "…" in
// want standing for any text there.
func sameShape(t *testing.T, want, got string) bool {
	t.Helper()
	if keysInOrder(t, want) != keysInOrder(t, got) {
		return false
	}
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("the README's answer is not JSON: %v: %s", err, want)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return false
	}
	return matches(w, g)
}

func matches(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			if gv, ok := g[k]; !ok || !matches(v, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !matches(w[i], g[i]) {
				return false
			}
		}
		return true
	case string:
		g, ok := got.(string)
		if before, after, found := strings.Cut(w, "…"); found {
			return ok && len(g) > len(before)+len(after) && strings.HasPrefix(g, before) && strings.HasSuffix(g, after)
		}
		return ok && g == w
	}
	return want == got
}

// keysInOrder lists the keys of a JSON object as written.
func keysInOrder(t *testing.T, doc string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	var keys []string
	for dec.More() {
		key, err := dec.Token()
		var value json.RawMessage
		if err != nil || dec.Decode(&value) != nil {
			return ""
		}
		keys = append(keys, key.(string))
	}
	return strings.Join(keys, ",")
}
