package fakeupstream

import (
	"context"
	"net/http"
	"testing"
)

// An outage fails every key (or only one model, or one path prefix) until
// it ends; a Model fault fails one key for one model only.
func TestOutageAndModelFaults(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{})
	const other = `{"model":"other","messages":[{"role":"user","content":"hi"}]}`
	type req struct{ path, key, body string }
	tests := []struct {
		name   string
		set    func()
		checks map[req]int // request → status wanted
	}{
		{"whole upstream", func() { f.SetOutage(Outage{Status: 503}) }, map[req]int{
			{"/v1/chat/completions", "k1", chatBody}: 503, {"/v1/chat/completions", "k2", other}: 503,
			{"/api/tags", "k1", ""}: 503}},
		{"one model", func() { f.SetOutage(Outage{Status: 502, Model: "m"}) }, map[req]int{
			{"/v1/chat/completions", "k1", chatBody}: 502, {"/v1/chat/completions", "k1", other}: 200}},
		{"one path prefix", func() { f.SetOutage(Outage{Status: 500, PathPrefix: "/v1/"}) }, map[req]int{
			{"/v1/chat/completions", "k1", chatBody}: 500, {"/api/tags", "k1", ""}: 200}},
		{"one key, one model", func() { f.EndOutage(); f.SetFault("k3", Fault{Status: 402, Model: "m"}) }, map[req]int{
			{"/v1/chat/completions", "k3", chatBody}: 402, {"/v1/chat/completions", "k3", other}: 200,
			{"/v1/chat/completions", "k1", chatBody}: 200}},
		{"ended", func() { f.EndOutage(); f.ClearFaults() }, map[req]int{
			{"/v1/chat/completions", "k1", chatBody}: 200, {"/v1/chat/completions", "k3", chatBody}: 200}},
	}
	for _, tt := range tests { // in order: each step changes the one fake
		tt.set()
		for r, want := range tt.checks {
			method := http.MethodPost
			if r.body == "" {
				method = http.MethodGet
			}
			res, err := f.do(context.Background(), method, r.path, r.key, r.body)
			if err != nil || res.status != want {
				t.Errorf("%s: %s %s as %s: %d %v, want %d", tt.name, method, r.path, r.key, res.status, err, want)
			}
		}
	}
	f.SetOutage(Outage{ResetConn: true})
	if _, err := f.do(context.Background(), http.MethodGet, "/api/tags", "k1", ""); err == nil {
		t.Error("ResetConn outage answered")
	}
}
