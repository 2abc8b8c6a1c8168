package fakeupstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// stream answers with a stream of Options.Chunks content chunks and an
// end: Server-Sent Events (a finish chunk, a usage chunk when the dialect
// or stream_options ask for one, and [DONE]) or, for Ollama's native
// routes, NDJSON (a final done:true object with the counts). Stream faults
// (CutAfterChunks, MidStreamError) strike here.
func (x *exchange) stream(k kind) {
	h := x.w.Header()
	if k.ndjson {
		h.Set("Content-Type", "application/x-ndjson")
	} else {
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
	}
	x.w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(x.w)
	n := x.opts.Chunks
	cut, midError := 0, false
	if f := x.fault; f != nil {
		cut, midError = min(f.CutAfterChunks, n), f.MidStreamError
	}
	buf := make([]byte, 0, 512)
	if x.d.keepAlive {
		// Sent with the headers, before the first token, as OpenRouter does.
		if !x.send(rc, append(buf, ": OPENROUTER PROCESSING\n\n"...)) {
			return
		}
	}
	var head []byte // SSE: "data: " and the chunk's fields up to the model
	if !k.ndjson {
		head = x.appendHead(append(make([]byte, 0, 160), "data: "...), k.idPrefix, k.chunkObject)
	}
	delay := x.chunkDelay()
	for i := 0; i <= n; i++ {
		if i > 0 && !sleep(x.r.Context(), delay) {
			x.out = outCanceled
			return
		}
		switch {
		case cut > 0 && i == cut:
			x.abort()
		case midError && i == 1:
			x.send(rc, x.appendMidStreamError(buf[:0], head, k))
			x.out = outFailed
			return
		case i < n:
			b := buf[:0]
			if x.opts.StampEvents && !k.ndjson {
				b = AppendStamp(b, time.Now())
			}
			if !x.send(rc, x.appendChunk(b, head, k, i)) {
				return
			}
		default:
			if x.send(rc, x.appendEnd(buf[:0], head, k)) {
				x.out = outOK
			}
		}
	}
}

// StampPrefix starts the comment line of Options.StampEvents.
const StampPrefix = ": sent "

// AppendStamp appends the comment line of Options.StampEvents for t.
func AppendStamp(b []byte, t time.Time) []byte {
	b = append(b, StampPrefix...)
	return append(strconv.AppendInt(b, t.UnixNano(), 10), '\n')
}

// ParseStamp reads the time from a line of Options.StampEvents.
func ParseStamp(line []byte) (time.Time, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(StampPrefix))
	if !ok {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(string(bytes.TrimRight(rest, "\r\n")), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// chunkDelay is the pause between chunks for x's model.
func (x *exchange) chunkDelay() time.Duration {
	if d, ok := x.opts.ModelChunkDelay[x.req.model]; ok {
		return d
	}
	return x.opts.ChunkDelay
}

// send writes and flushes b, and reports false (counting the request as
// canceled) when the client is gone.
func (x *exchange) send(rc *http.ResponseController, b []byte) bool {
	if _, err := x.w.Write(b); err != nil {
		x.out = outCanceled
		return false
	}
	if err := rc.Flush(); err != nil || x.r.Context().Err() != nil {
		x.out = outCanceled
		return false
	}
	return true
}

// appendChunk appends content chunk i: an SSE event after head, or an
// NDJSON line.
func (x *exchange) appendChunk(b, head []byte, k kind, i int) []byte {
	if k.ndjson {
		return x.appendNativeChunk(b, k, i)
	}
	b = append(b, head...)
	switch {
	case !k.chat:
		b = append(b, `,"choices":[{"index":0,"text":"`...)
	case i == 0:
		b = append(b, `,"choices":[{"index":0,"delta":{"role":"assistant","content":"`...)
	default:
		b = append(b, `,"choices":[{"index":0,"delta":{"content":"`...)
	}
	b = x.appendPiece(b, i)
	if k.chat {
		return append(b, `"},"finish_reason":null}]}`+"\n\n"...)
	}
	return append(b, `","logprobs":null,"finish_reason":null}]}`+"\n\n"...)
}

// appendEnd appends the finish chunk, the usage chunk if any, and [DONE];
// or the final NDJSON line.
func (x *exchange) appendEnd(b, head []byte, k kind) []byte {
	if k.ndjson {
		b = appendTextClose(appendTextOpen(x.appendNativeHead(b), k), k)
		return append(x.appendNativeDone(b, k), '\n')
	}
	b = append(b, head...)
	if k.chat {
		b = append(b, `,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n"...)
	} else {
		b = append(b, `,"choices":[{"index":0,"text":"","logprobs":null,"finish_reason":"stop"}]}`+"\n\n"...)
	}
	if x.d.alwaysUsage || x.req.includeUsage {
		x.prompt, x.completion = PromptTokens(len(x.body)), int64(x.opts.Chunks)
		b = append(b, head...)
		b = append(b, `,"choices":[],"usage":`...)
		b = appendUsage(b, x.prompt, x.completion)
		b = append(b, "}\n\n"...)
	}
	return append(b, "data: [DONE]\n\n"...)
}

// appendMidStreamError appends the in-band error sent under status 200:
// OpenRouter's error chunk and [DONE], or Ollama's {"error":…} line.
func (x *exchange) appendMidStreamError(b, head []byte, k kind) []byte {
	msg := x.fault.Message
	if k.ndjson {
		if msg == "" {
			msg = "an error was encountered while running the model"
		}
		return append(append(b, nativeErrorBody(0, msg, nil)...), '\n')
	}
	if msg == "" {
		msg = "Provider returned error"
	}
	quoted, _ := json.Marshal(msg)
	b = append(b, head...)
	b = append(b, `,"error":{"code":502,"message":`...)
	b = append(b, quoted...)
	if k.chat {
		b = append(b, `},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}`+"\n\n"...)
	} else {
		b = append(b, `},"choices":[{"index":0,"text":"","finish_reason":"error"}]}`+"\n\n"...)
	}
	return append(b, "data: [DONE]\n\n"...)
}
