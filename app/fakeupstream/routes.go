package fakeupstream

import (
	"net/http"
	"strings"
)

// route is one endpoint of the fake.
type route struct {
	method    string
	dialect   *dialect
	needModel bool            // POST bodies must name a model
	answer    func(*exchange) // writes the successful answer (and stream faults)
}

// routes lists every endpoint, by path. Ollama's OpenAI-compatible API
// lives under /v1, OpenRouter's under /api/v1; Ollama's native API
// (/api/chat, /api/generate, /api/tags…) would get its own dialect here.
func routes() map[string]route {
	ollama, or := ollamaV1(), openRouter()
	return map[string]route{
		"/v1/chat/completions": {http.MethodPost, ollama, true, answerChat},
		"/v1/completions":      {http.MethodPost, ollama, true, answerCompletion},
		"/v1/embeddings":       {http.MethodPost, ollama, true, answerEmbeddings},
		"/v1/models":           {http.MethodGet, ollama, false, answerFixed(ollamaModels)},

		"/api/v1/chat/completions": {http.MethodPost, or, true, answerChat},
		"/api/v1/completions":      {http.MethodPost, or, true, answerCompletion},
		"/api/v1/embeddings":       {http.MethodPost, or, true, answerEmbeddings},
		"/api/v1/models":           {http.MethodGet, or, false, answerFixed(openRouterModels)},
		"/api/v1/key":              {http.MethodGet, or, false, answerFixed(openRouterKey)},
	}
}

// dialectForPath picks the error shape of an unknown path from the
// provider whose prefix it has.
func (s *Server) dialectForPath(path string) *dialect {
	if strings.HasPrefix(path, "/api/v1/") {
		return s.routes["/api/v1/models"].dialect
	}
	return s.routes["/v1/models"].dialect
}
