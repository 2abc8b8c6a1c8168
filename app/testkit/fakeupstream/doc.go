// Package fakeupstream is a fake of the two upstreams Keypool fronts:
// Ollama's OpenAI-compatible API (routes under /v1), Ollama's native API
// (/api/chat, /api/generate, /api/embed, /api/embeddings, /api/show,
// /api/tags, /api/balance) and OpenRouter's API (routes under /api/v1),
// served side by side by one http.Handler.
//
// Point the gateway's Ollama base URL at the server root and its OpenRouter
// base URL at the server root plus "/api":
//
//	fake := fakeupstream.New(fakeupstream.Options{Chunks: 5})
//	srv := httptest.NewServer(fake)
//	ollamaBase, openRouterBase := srv.URL, srv.URL+"/api"
//
// Every request needs "Authorization: Bearer <key>"; any non-empty key is
// valid unless a Fault is programmed for it with SetFault. Counters per key
// (Counts, Total) and per route (PathRequests) tell tests what reached the
// upstream and how it ended, and LastRequest shows what the gateway sent.
//
// Answers are deterministic. Content is Content(Chunks) (with
// Options.LongLine, chunk 0 is that many 'x' instead); usage is
// PromptTokens(len(body)) prompt tokens and Chunks completion tokens
// (embeddings: no completion tokens; the old /api/embeddings reports and
// counts none). Tokens are counted when the answer reporting them is sent:
// a whole body, an SSE usage chunk, or the final done:true NDJSON line.
//
// The native routes follow Ollama: streaming is on unless the body says
// "stream": false, streams are NDJSON (application/x-ndjson) ending with a
// done:true object carrying prompt_eval_count and eval_count, and errors
// are {"error":"<message>"}, also in-band under 200 for MidStreamError.
// GET /api/tags lists a few cloud models, or per key Options.TagsByKey.
// GET /api/balance answers DefaultBalance or what SetBalance programmed,
// and like Ollama lets a key ask it 10 times per rolling minute before it
// answers 429 with Retry-After (Options.BalanceLimit changes that).
//
// Responses are assembled from byte templates, not encoding/json, and the
// request body is read with a single allocation-free scan, so the fake
// stays cheap enough to benchmark the gateway against.
//
// Each provider flavour is a dialect (dialect.go): its error shape and
// stream habits. Every route is listed in routes.go.
package fakeupstream
