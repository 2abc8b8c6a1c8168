// Package fakeupstream is a fake of the two upstreams Keypool fronts:
// Ollama's OpenAI-compatible API (routes under /v1) and OpenRouter's
// (routes under /api/v1), served side by side by one http.Handler.
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
// (Counts, Total) tell tests what reached the upstream and how it ended,
// and LastRequest shows what the gateway sent.
//
// Answers are deterministic. Content is Content(Chunks); usage is
// PromptTokens(len(body)) prompt tokens and Chunks completion tokens
// (embeddings: no completion tokens).
//
// Responses are assembled from byte templates, not encoding/json, and the
// request body is read with a single allocation-free scan, so the fake
// stays cheap enough to benchmark the gateway against.
//
// Each provider flavour is a dialect (dialect.go) and every route is listed
// in routes.go; Ollama's native NDJSON API (/api/chat, /api/generate) can be
// added as a new dialect and answer file plus lines in routes.go.
package fakeupstream
