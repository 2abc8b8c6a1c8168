package fakeupstream

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServe measures the handler alone (no network) per answer kind.
func BenchmarkServe(b *testing.B) {
	s := New(Options{Chunks: 20})
	tests := []struct{ name, path, body string }{
		{"ollama json", "/v1/chat/completions", chatBody},
		{"ollama sse", "/v1/chat/completions", `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{"openrouter sse", "/api/v1/chat/completions", streamBody},
		{"models", "/v1/models", ""},
		{"native ndjson", "/api/chat", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`},
		{"native json", "/api/chat", `{"model":"m","stream":false}`},
		{"native tags", "/api/tags", ""},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			method := http.MethodPost
			if tt.body == "" {
				method = http.MethodGet
			}
			body := []byte(tt.body)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(method, tt.path, bytes.NewReader(body))
				r.Header.Set("Authorization", "Bearer k")
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
