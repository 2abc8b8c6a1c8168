package fakeupstream

import (
	"strconv"
	"time"
)

// PromptTokens is the prompt token count the fake reports for a request
// body of n bytes: n/100 + 1.
func PromptTokens(n int) int64 { return int64(n/100 + 1) }

// Content is the text of an answer with n chunks: chunk i is "t<i> ", so
// Content(3) is "t0 t1 t2 ". Streamed and whole answers carry the same text.
// With Options.LongLine set, chunk 0 is LongLine bytes of 'x' instead.
func Content(n int) string {
	var b []byte
	for i := range n {
		b = appendPiece(b, i)
	}
	return string(b)
}

// appendPiece appends the text of chunk i.
func appendPiece(b []byte, i int) []byte {
	b = append(b, 't')
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, ' ')
}

// appendPiece appends the text of chunk i of x's answer, honouring
// Options.LongLine.
func (x *exchange) appendPiece(b []byte, i int) []byte {
	if i == 0 && x.opts.longPiece != nil {
		return append(b, x.opts.longPiece...)
	}
	return appendPiece(b, i)
}

// kind is the family of a generated answer.
type kind struct {
	idPrefix    string // answer ids are idPrefix + a sequence number
	object      string // object of a whole answer
	chunkObject string // object of a stream chunk
	chat        bool   // choices carry message/delta rather than text (native: message rather than response)
	ndjson      bool   // Ollama's native shapes and NDJSON streams
}

// chatKind and textKind describe chat completions and legacy completions.
func chatKind() kind {
	return kind{idPrefix: "chatcmpl-fake-", object: "chat.completion", chunkObject: "chat.completion.chunk", chat: true}
}

func textKind() kind {
	return kind{idPrefix: "cmpl-fake-", object: "text_completion", chunkObject: "text_completion"}
}

// appendHead appends the opening of an answer object, up to the model.
func (x *exchange) appendHead(b []byte, idPrefix, object string) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, idPrefix...)
	b = strconv.AppendUint(b, x.id, 10)
	b = append(b, `","object":"`...)
	b = append(b, object...)
	b = append(b, `","created":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, `,"model":"`...)
	b = append(b, x.req.modelJSON...)
	return append(b, '"')
}

// appendUsage appends a usage object; completion < 0 leaves out
// completion_tokens (embeddings).
func appendUsage(b []byte, prompt, completion int64) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, prompt, 10)
	if completion >= 0 {
		b = append(b, `,"completion_tokens":`...)
		b = strconv.AppendInt(b, completion, 10)
	}
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, prompt+max(completion, 0), 10)
	return append(b, '}')
}

// answerChat answers a chat completion, streamed or whole.
func answerChat(x *exchange) { x.answerGenerated(chatKind()) }

// answerCompletion answers a legacy completion, streamed or whole.
func answerCompletion(x *exchange) { x.answerGenerated(textKind()) }

// answerGenerated answers a chat or legacy completion.
func (x *exchange) answerGenerated(k kind) {
	if x.streaming() {
		x.stream(k)
		return
	}
	if k.ndjson {
		x.writeJSON(x.appendNativeWhole(k))
		return
	}
	n := x.opts.Chunks
	b := make([]byte, 0, 320+len(x.req.modelJSON)+6*n+len(x.opts.longPiece))
	b = x.appendHead(b, k.idPrefix, k.object)
	if k.chat {
		b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":"`...)
	} else {
		b = append(b, `,"choices":[{"index":0,"text":"`...)
	}
	for i := range n {
		b = x.appendPiece(b, i)
	}
	if k.chat {
		b = append(b, `"},"finish_reason":"stop"}],"usage":`...)
	} else {
		b = append(b, `","logprobs":null,"finish_reason":"stop"}],"usage":`...)
	}
	x.prompt, x.completion = PromptTokens(len(x.body)), int64(n)
	b = appendUsage(b, x.prompt, x.completion)
	x.writeJSON(append(b, '}'))
}

// answerEmbeddings answers an embeddings request with one small vector.
func answerEmbeddings(x *exchange) {
	b := make([]byte, 0, 256+len(x.req.modelJSON))
	b = append(b, `{"object":"list","data":[{"object":"embedding","index":0,`+
		`"embedding":[0.0123,-0.0456,0.0789,-0.0012]}],"model":"`...)
	b = append(b, x.req.modelJSON...)
	b = append(b, `","usage":`...)
	x.prompt = PromptTokens(len(x.body))
	b = appendUsage(b, x.prompt, -1)
	x.writeJSON(append(b, '}'))
}
