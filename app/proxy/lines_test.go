package proxy

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const ollamaStream = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n" +
	"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
	"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":2,\"total_tokens\":13}}\n\n" +
	"data: [DONE]\n\n"

// chunked yields data in pieces of n bytes, like a network would.
type chunked struct {
	data []byte
	n    int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := min(c.n, len(c.data), len(p))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

func filterAll(t testing.TB, in string, chunk int, drop bool) (string, usage) {
	t.Helper()
	f := newLineFilter(&chunked{data: []byte(in), n: chunk}, drop, strings.Contains(in, `"done"`))
	out, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), f.usage
}

func TestLineFilter(t *testing.T) {
	t.Parallel()
	withoutUsage := strings.Replace(ollamaStream,
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":2,\"total_tokens\":13}}\n\n", "", 1)
	openrouter := ": OPENROUTER PROCESSING\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}\n\n" +
		"data: [DONE]\n\n"
	ndjson := "{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"done\":true,\"prompt_eval_count\":7,\"eval_count\":3}\n"
	long := "data: {\"choices\":[{\"delta\":{\"tool_calls\":\"" + strings.Repeat("x", 200<<10) + "\"}}]}\n\n" + ollamaStream
	tests := []struct {
		name     string
		in       string
		drop     bool
		want     string
		wantUse  usage
		chunkSzs []int
	}{
		{"passes through, reads usage", ollamaStream, false, ollamaStream, usage{11, 2, true}, nil},
		{"drops the usage-only chunk asked for", ollamaStream, true, withoutUsage, usage{11, 2, true}, nil},
		{"usage in a chunk with a choice is kept", openrouter, true, openrouter, usage{5, 1, true}, nil},
		{"no usage", withoutUsage, false, withoutUsage, usage{}, nil},
		{"line over 64 KiB passes whole", long, false, long, usage{11, 2, true}, []int{1 << 10, 32 << 10, 100 << 10}},
		{"no final newline", "data: x", false, "data: x", usage{}, nil},
		{"native NDJSON", ndjson, false, ndjson, usage{7, 3, true}, nil},
		{"CRLF lines", strings.ReplaceAll(ollamaStream, "\n", "\r\n"), false, strings.ReplaceAll(ollamaStream, "\n", "\r\n"), usage{11, 2, true}, nil},
	}
	for _, tt := range tests {
		sizes := tt.chunkSzs
		if sizes == nil {
			sizes = []int{1, 2, 3, 7, 64, 1 << 20}
		}
		for _, n := range sizes {
			got, u := filterAll(t, tt.in, n, tt.drop)
			if got != tt.want || u != tt.wantUse {
				t.Errorf("%s, chunks of %d: usage %+v (want %+v), output equal: %v", tt.name, n, u, tt.wantUse, got == tt.want)
			}
		}
	}
}

// The filter returns at most what one upstream read brought, so each
// upstream chunk becomes one client write (flushed by fasthttp).
func TestLineFilterDoesNotWaitForMore(t *testing.T) {
	t.Parallel()
	f := newLineFilter(iotest.OneByteReader(strings.NewReader("data: a\n\ndata: b\n\n")), false, false)
	p := make([]byte, 100)
	n, err := f.Read(p)
	if err != nil || string(p[:n]) != "data: a\n" {
		t.Fatalf("first read %q, %v", p[:n], err)
	}
}

func TestLineFilterPassesErrors(t *testing.T) {
	t.Parallel()
	f := newLineFilter(iotest.TimeoutReader(strings.NewReader("data: a\n")), false, false)
	if _, err := io.ReadAll(f); err != iotest.ErrTimeout {
		t.Fatalf("err = %v, want the upstream's", err)
	}
}

// FuzzLineFilter: without dropping, the output is the input, byte for
// byte, however it is chunked; with dropping, only whole usage-only data
// lines and the blank line after them go. The usage read (SSE, or NDJSON
// when the input mentions "done") is the same whether the stream arrives in
// chunks or in one piece, and whether or not the usage chunk is dropped.
func FuzzLineFilter(f *testing.F) {
	f.Add([]byte(ollamaStream), 3)
	f.Add([]byte("data: {\"usage\":{\"prompt_tokens\":1}}\n"), 1)
	f.Add([]byte(": comment\n\ndata: {\"choices\":[],\"usage\":{}}\r\n\r\n"), 5)
	f.Add([]byte("{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"done\":true,\"prompt_eval_count\":7,\"eval_count\":3}\n"), 4)
	f.Fuzz(func(t *testing.T, in []byte, chunk int) {
		if chunk <= 0 {
			chunk = 1 + (-chunk)%97
		}
		out, use := filterAll(t, string(in), chunk, false)
		if out != string(in) {
			t.Fatalf("output differs from input")
		}
		if _, whole := filterAll(t, string(in), len(in)+1, false); whole != use {
			t.Fatalf("usage %+v read in chunks of %d bytes, %+v read in one piece", use, chunk, whole)
		}
		dropped, dropUse := filterAll(t, string(in), chunk, true)
		if len(dropped) > len(in) || !isSubsequenceOfLines(dropped, string(in)) {
			t.Fatalf("dropping changed more than whole lines: %q → %q", in, dropped)
		}
		if dropUse != use {
			t.Fatalf("usage %+v when the usage chunk is dropped, %+v when it is kept", dropUse, use)
		}
	})
}

// isSubsequenceOfLines reports whether out is in with some whole lines removed.
func isSubsequenceOfLines(out, in string) bool {
	lines := strings.SplitAfter(in, "\n")
	var b bytes.Buffer
	i := 0
	for _, l := range lines {
		if strings.HasPrefix(out[i:], l) && (b.Len()+len(l) <= len(out)) {
			b.WriteString(l)
			i += len(l)
		}
	}
	return b.String() == out
}
