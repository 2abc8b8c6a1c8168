package fakeupstream

import (
	"strconv"
	"time"
)

// nativeChatKind and nativeGenerateKind describe the answers of Ollama's
// POST /api/chat (text in message.content) and POST /api/generate (text
// in response).
func nativeChatKind() kind     { return kind{chat: true, ndjson: true} }
func nativeGenerateKind() kind { return kind{ndjson: true} }

// answerNativeChat answers POST /api/chat, streamed unless "stream": false.
func answerNativeChat(x *exchange) { x.answerGenerated(nativeChatKind()) }

// answerNativeGenerate answers POST /api/generate, streamed unless
// "stream": false.
func answerNativeGenerate(x *exchange) { x.answerGenerated(nativeGenerateKind()) }

// appendNativeHead appends the opening of a native object, up to and
// including the comma after created_at.
func (x *exchange) appendNativeHead(b []byte) []byte {
	b = append(b, `{"model":"`...)
	b = append(b, x.req.modelJSON...)
	b = append(b, `","created_at":"`...)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, `",`...)
}

// appendTextOpen opens the field that carries the text of k.
func appendTextOpen(b []byte, k kind) []byte {
	if k.chat {
		return append(b, `"message":{"role":"assistant","content":"`...)
	}
	return append(b, `"response":"`...)
}

// appendTextClose closes what appendTextOpen opened, and the comma after.
func appendTextClose(b []byte, k kind) []byte {
	if k.chat {
		return append(b, `"},`...)
	}
	return append(b, `",`...)
}

// appendNativeChunk appends the NDJSON line of content chunk i.
func (x *exchange) appendNativeChunk(b []byte, k kind, i int) []byte {
	b = appendTextOpen(x.appendNativeHead(b), k)
	b = x.appendPiece(b, i)
	return append(appendTextClose(b, k), `"done":false}`+"\n"...)
}

// appendNativeWhole returns the "stream": false answer: one object with
// the whole text and the counts.
func (x *exchange) appendNativeWhole(k kind) []byte {
	n := x.opts.Chunks
	b := make([]byte, 0, 400+len(x.req.modelJSON)+6*n+len(x.opts.longPiece))
	b = appendTextOpen(x.appendNativeHead(b), k)
	for i := range n {
		b = x.appendPiece(b, i)
	}
	return x.appendNativeDone(appendTextClose(b, k), k)
}

// appendNativeDone appends the fields that end a native answer, from
// "done":true to the closing brace, and sets the usage it reports:
// prompt_eval_count PromptTokens(len(body)), eval_count Chunks.
func (x *exchange) appendNativeDone(b []byte, k kind) []byte {
	x.prompt, x.completion = PromptTokens(len(x.body)), int64(x.opts.Chunks)
	b = append(b, `"done":true,"done_reason":"stop",`...)
	if !k.chat {
		b = append(b, `"context":[1,2,3],`...)
	}
	total := x.elapsed()
	b = appendDurations(b, total)
	b = append(b, `,"prompt_eval_count":`...)
	b = strconv.AppendInt(b, x.prompt, 10)
	b = append(b, `,"prompt_eval_duration":`...)
	b = strconv.AppendInt(b, total/10, 10)
	b = append(b, `,"eval_count":`...)
	b = strconv.AppendInt(b, x.completion, 10)
	b = append(b, `,"eval_duration":`...)
	b = strconv.AppendInt(b, total-2*(total/10), 10)
	return append(b, '}')
}

// appendDurations appends "total_duration" and "load_duration" (a tenth
// of it), the timings every final native object starts with.
func appendDurations(b []byte, total int64) []byte {
	b = append(b, `"total_duration":`...)
	b = strconv.AppendInt(b, total, 10)
	b = append(b, `,"load_duration":`...)
	return strconv.AppendInt(b, total/10, 10)
}

// elapsed is the time since the request arrived in nanoseconds, as Ollama
// reports durations; at least 10 so that every part is positive.
func (x *exchange) elapsed() int64 { return max(time.Since(x.start).Nanoseconds(), 10) }
