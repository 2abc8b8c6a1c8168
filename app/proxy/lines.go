package proxy

import (
	"bytes"
	"io"
	"sync"

	"github.com/tidwall/gjson"
)

// maxHeldLine is the longest line held back to be inspected whole. Usage
// chunks are small; longer lines (long tool calls) pass through unread.
const maxHeldLine = 64 << 10

// usage is the token count an answer reported.
type usage struct {
	prompt, completion int64
	seen               bool
}

// lineFilter passes a line-oriented stream (SSE or NDJSON) through
// unchanged, line by line, reading token usage from the line that carries
// it, and optionally dropping the usage-only SSE chunk that Keypool asked
// for on the client's behalf. It never holds more than one line, and a
// line longer than maxHeldLine passes through as it arrives.
type lineFilter struct {
	src       io.Reader
	buf       []byte
	outBuf    []byte
	out       []byte
	held      []byte
	passing   bool // inside a line too long to hold
	dropUsage bool // drop the usage-only chunk and its blank line
	native    bool // Ollama's NDJSON: usage in the done:true object
	dropBlank bool
	usage     usage
	srcErr    error
}

// filters recycles the line filters of finished streams with their
// buffers: a stream's buffers are most of the bytes it allocates.
var filters = sync.Pool{New: func() any { return &lineFilter{buf: make([]byte, 8<<10)} }}

// maxKeptBuf is the largest line buffer kept for the next stream; the
// buffer of a long line (a long tool call) is left to the garbage collector.
const maxKeptBuf = 64 << 10

func newLineFilter(src io.Reader, dropUsage, native bool) *lineFilter {
	f := filters.Get().(*lineFilter)
	f.src, f.dropUsage, f.native = src, dropUsage, native
	return f
}

// release returns the filter to the pool; it must not be used again.
func (f *lineFilter) release() {
	*f = lineFilter{buf: f.buf, outBuf: reusable(f.outBuf), held: reusable(f.held)}
	filters.Put(f)
}

// reusable empties b for the next stream, or drops it when it grew past
// maxKeptBuf.
func reusable(b []byte) []byte {
	if cap(b) > maxKeptBuf {
		return nil
	}
	return b[:0]
}

// Read returns the next filtered bytes; one upstream read gives at most one
// client write, so chunks are flushed as they come.
func (f *lineFilter) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		if f.srcErr != nil {
			if len(f.held) == 0 {
				return 0, f.srcErr
			}
			f.out, f.held = f.held, nil // a last line without newline
			break
		}
		n, err := f.src.Read(f.buf)
		f.outBuf = f.outBuf[:0]
		f.process(f.buf[:n])
		f.out = f.outBuf
		f.srcErr = err
	}
	n := copy(p, f.out)
	f.out = f.out[n:]
	return n, nil
}

// process splits data into lines and queues what the client gets.
func (f *lineFilter) process(data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if f.passing {
				f.outBuf = append(f.outBuf, data...)
			} else if f.held = append(f.held, data...); len(f.held) > maxHeldLine {
				f.outBuf = append(f.outBuf, f.held...)
				f.held, f.passing = f.held[:0], true
			}
			return
		}
		seg := data[:i+1]
		data = data[i+1:]
		if f.passing {
			f.outBuf = append(f.outBuf, seg...)
			f.passing = false
			continue
		}
		line := seg
		if len(f.held) > 0 {
			f.held = append(f.held, seg...)
			line = f.held
		}
		if f.keep(line) {
			f.outBuf = append(f.outBuf, line...)
		}
		f.held = f.held[:0]
	}
}

// keep inspects one whole line (with its newline) and says whether the
// client gets it.
func (f *lineFilter) keep(line []byte) bool {
	if f.dropBlank {
		f.dropBlank = false
		if len(bytes.TrimSpace(line)) == 0 {
			return false
		}
	}
	// One scan per line: most lines are content and carry no usage.
	if f.native {
		if bytes.Contains(line, []byte(`eval_count"`)) {
			if u := nativeUsage(line); u.seen {
				f.usage = u
			}
		}
		return true
	}
	if !bytes.Contains(line, []byte(`usage"`)) {
		return true
	}
	payload, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return true
	}
	u := gjson.GetBytes(payload, "usage")
	if !u.IsObject() {
		return true
	}
	f.usage = usage{prompt: u.Get("prompt_tokens").Int(), completion: u.Get("completion_tokens").Int(), seen: true}
	if f.dropUsage {
		if ch := gjson.GetBytes(payload, "choices"); ch.IsArray() && len(ch.Array()) == 0 {
			f.dropBlank = true
			return false
		}
	}
	return true
}

// nativeUsage reads the counts of an Ollama native answer: the final
// {"done":true,…} object of a stream, a whole answer, or /api/embed's
// prompt_eval_count alone.
func nativeUsage(obj []byte) usage {
	r := gjson.GetManyBytes(obj, "prompt_eval_count", "eval_count")
	if !r[0].Exists() && !r[1].Exists() {
		return usage{}
	}
	return usage{prompt: r[0].Int(), completion: r[1].Int(), seen: true}
}

// jsonUsage reads usage from a whole JSON answer: OpenAI's "usage" object
// or the counts of Ollama's native answer.
func jsonUsage(body []byte) usage {
	u := gjson.GetBytes(body, "usage")
	if !u.IsObject() {
		return nativeUsage(body)
	}
	return usage{prompt: u.Get("prompt_tokens").Int(), completion: u.Get("completion_tokens").Int(), seen: true}
}
