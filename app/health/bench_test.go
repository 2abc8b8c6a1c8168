package health

import (
	"log/slog"
	"testing"
)

// The request path pays for the tracker on every request: Admit, then
// Success. With every breaker closed it must stay a few atomics.
func BenchmarkAdmitSuccess(b *testing.B) {
	tr := New(Config{Label: "Ollama", Log: slog.New(slog.DiscardHandler)})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			pass, r := tr.Admit("gpt-oss:120b")
			if r != nil {
				b.Fatal(r.Message)
			}
			pass.Success()
			pass.Done()
		}
	})
}
