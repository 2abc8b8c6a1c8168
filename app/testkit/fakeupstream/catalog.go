package fakeupstream

import (
	"net/http"
	"strconv"
)

// ollamaModels is the answer of GET /v1/models.
const ollamaModels = `{"object":"list","data":[` +
	`{"id":"gpt-oss:120b","object":"model","created":1754000000,"owned_by":"ollama"},` +
	`{"id":"gpt-oss:20b","object":"model","created":1754000000,"owned_by":"ollama"},` +
	`{"id":"deepseek-v3.1:671b","object":"model","created":1756000000,"owned_by":"ollama"},` +
	`{"id":"qwen3-coder:480b","object":"model","created":1755000000,"owned_by":"ollama"}]}`

// openRouterModels is the answer of GET /api/v1/models.
const openRouterModels = `{"data":[` +
	`{"id":"openai/gpt-4o-mini","name":"OpenAI: GPT-4o-mini","created":1721260800,"context_length":128000,` +
	`"pricing":{"prompt":"0.00000015","completion":"0.0000006"}},` +
	`{"id":"meta-llama/llama-3.3-70b-instruct:free","name":"Meta: Llama 3.3 70B Instruct (free)","created":1733506137,` +
	`"context_length":131072,"pricing":{"prompt":"0","completion":"0"}},` +
	`{"id":"anthropic/claude-3.5-sonnet","name":"Anthropic: Claude 3.5 Sonnet","created":1729555200,` +
	`"context_length":200000,"pricing":{"prompt":"0.000003","completion":"0.000015"}}]}`

// openRouterKey is the answer of GET /api/v1/key.
const openRouterKey = `{"data":{"label":"sk-or-v1-abc...xyz","limit":10,"limit_remaining":9.5,` +
	`"usage":0.5,"is_free_tier":false}}`

// answerFixed returns an answer function writing body as JSON.
func answerFixed(body string) func(*exchange) {
	b := []byte(body)
	return func(x *exchange) { x.writeJSON(b) }
}

// writeJSON answers 200 with b, or cuts it in half for a CutAfterChunks
// fault.
func (x *exchange) writeJSON(b []byte) {
	h := x.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	x.w.WriteHeader(http.StatusOK)
	if x.fault != nil && x.fault.CutAfterChunks > 0 {
		_, _ = x.w.Write(b[:len(b)/2])
		x.abort()
	}
	if _, err := x.w.Write(b); err != nil {
		x.out = outCanceled
		return
	}
	x.out = outOK
}
