package fakeupstream

import (
	"net/http"
	"slices"
	"testing"
)

// defaultTagNames are the models of GET /api/tags for a key without
// Options.TagsByKey.
var defaultTagNames = []string{"gpt-oss:120b", "gpt-oss:20b", "qwen3-coder:480b", "deepseek-v3.1:671b", "kimi-k2:1t"}

// tagNames returns the names of a GET /api/tags answer, checking every
// entry's shape.
func tagNames(t *testing.T, body []byte) []string {
	t.Helper()
	models, ok := decode(t, body)["models"].([]any)
	if !ok {
		t.Fatalf("no models list: %s", body)
	}
	names := []string{}
	for _, v := range models {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		digest, _ := m["digest"].(string)
		if m["model"] != name || m["modified_at"] == nil || m["size"] == nil || len(digest) != 64 ||
			dig(m, "details", "format") != "gguf" || dig(m, "details", "family") == nil {
			t.Errorf("tag entry %v", m)
		}
		names = append(names, name)
	}
	return names
}

func TestTags(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{TagsByKey: map[string][]string{
		"small": {"gpt-oss:20b"},
		"mixed": {"kimi-k2:1t", "custom:7b"},
		"none":  {},
	}})
	tests := []struct {
		key  string
		want []string
	}{
		{"other", defaultTagNames},
		{"small", []string{"gpt-oss:20b"}},
		{"mixed", []string{"kimi-k2:1t", "custom:7b"}},
		{"none", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			res := f.mustDo(t, http.MethodGet, "/api/tags", tt.key, "")
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			if got := tagNames(t, res.body); !slices.Equal(got, tt.want) {
				t.Errorf("models %v, want %v", got, tt.want)
			}
			if c := f.Counts(tt.key); c != (Counts{Requests: 1, OK: 1}) {
				t.Errorf("counts %+v", c)
			}
		})
	}
}

func TestShow(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{TagsByKey: map[string][]string{"small": {"gpt-oss:20b", "custom:7b"}}})
	tests := []struct {
		name, key, model string
		status           int
		family           string
	}{
		{"default catalog", "k", "gpt-oss:120b", 200, "gptoss"},
		{"deepseek", "k", "deepseek-v3.1:671b", 200, "deepseek2"},
		{"unknown", "k", "llama3:8b", 404, ""},
		{"visible to key", "small", "gpt-oss:20b", 200, "gptoss"},
		{"custom model of key", "small", "custom:7b", 200, "custom"},
		{"hidden from key", "small", "gpt-oss:120b", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.mustDo(t, http.MethodPost, "/api/show", tt.key, `{"model":"`+tt.model+`"}`)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if tt.status != http.StatusOK {
				checkNativeError(t, res, tt.status, "model '"+tt.model+"' not found")
				return
			}
			m := decode(t, res.body)
			for _, field := range []string{"modelfile", "parameters", "template"} {
				if s, _ := m[field].(string); s == "" {
					t.Errorf("%s empty", field)
				}
			}
			caps, _ := m["capabilities"].([]any)
			if dig(m, "details", "format") != "gguf" || dig(m, "details", "family") != tt.family ||
				dig(m, "details", "parameter_size") == nil || dig(m, "details", "quantization_level") == nil ||
				dig(m, "model_info", "general.architecture") != tt.family || !slices.Contains(caps, any("completion")) {
				t.Errorf("body %s", res.body)
			}
		})
	}
}
