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
	streams   bool            // the answer may be a stream (see exchange.streaming)
	answer    func(*exchange) // writes the successful answer (and stream faults)
}

// post is a POST route whose body must name a model.
func post(d *dialect, answer func(*exchange)) route {
	return route{method: http.MethodPost, dialect: d, needModel: true, answer: answer}
}

// streamed is a post route that may answer with a stream.
func streamed(d *dialect, answer func(*exchange)) route {
	r := post(d, answer)
	r.streams = true
	return r
}

// get is a GET route without a body.
func get(d *dialect, answer func(*exchange)) route {
	return route{method: http.MethodGet, dialect: d, answer: answer}
}

// routes lists every endpoint, by path. Ollama's OpenAI-compatible API
// lives under /v1, its native API under /api (but not /api/v1), and
// OpenRouter's API under /api/v1.
func routes(s *Server) map[string]route {
	ollama, native, or := ollamaV1(), ollamaNative(), openRouter()
	return map[string]route{
		"/v1/chat/completions": streamed(ollama, answerChat),
		"/v1/completions":      streamed(ollama, answerCompletion),
		"/v1/embeddings":       post(ollama, answerEmbeddings),
		"/v1/models":           get(ollama, answerFixed(ollamaModels)),

		"/api/chat":       streamed(native, answerNativeChat),
		"/api/generate":   streamed(native, answerNativeGenerate),
		"/api/embed":      post(native, answerEmbed),
		"/api/embeddings": post(native, answerFixed(legacyEmbedding)),
		"/api/show":       post(native, answerShow),
		"/api/tags":       get(native, answerTags),
		"/api/balance":    get(native, s.answerBalance),

		"/api/v1/chat/completions": streamed(or, answerChat),
		"/api/v1/completions":      streamed(or, answerCompletion),
		"/api/v1/embeddings":       post(or, answerEmbeddings),
		"/api/v1/models":           get(or, answerFixed(openRouterModels)),
		"/api/v1/key":              get(or, answerFixed(openRouterKey)),
	}
}

// dialectForPath picks the error shape of an unknown path from the
// provider whose prefix it has.
func (s *Server) dialectForPath(path string) *dialect {
	switch {
	case strings.HasPrefix(path, "/api/v1/"):
		return s.routes["/api/v1/models"].dialect
	case strings.HasPrefix(path, "/api/"):
		return s.routes["/api/tags"].dialect
	}
	return s.routes["/v1/models"].dialect
}
