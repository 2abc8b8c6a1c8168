package playground

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// Every template has the original's fields filled in, a unique id and a
// temperature a provider accepts.
func TestTemplates(t *testing.T) {
	t.Parallel()
	ts, err := Templates()
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) < 3 {
		t.Fatalf("only %d templates", len(ts))
	}
	seen := map[string]bool{}
	for _, tt := range ts {
		t.Run(tt.ID, func(t *testing.T) {
			if tt.ID == "" || seen[tt.ID] || tt.Label == "" || tt.Description == "" || tt.SystemPrompt == "" ||
				tt.UserMessage == "" || tt.Temperature < 0 || tt.Temperature > 2 {
				t.Errorf("template %+v", tt)
			}
			seen[tt.ID] = true
		})
	}
}

// GET /api/test-templates answers {templates:[…]} with every field of the
// original, its types included.
func TestListTemplates(t *testing.T) {
	t.Parallel()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	h.Routes(app)
	resp, err := app.Test(httptest.NewRequest("GET", "/api/test-templates", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var out struct{ Templates []map[string]any }
	if err := json.Unmarshal(body, &out); err != nil || len(out.Templates) == 0 {
		t.Fatalf("%v: %s", err, body)
	}
	for _, tpl := range out.Templates {
		for _, f := range []string{"id", "label", "description", "systemPrompt", "userMessage"} {
			if s, ok := tpl[f].(string); !ok || s == "" {
				t.Errorf("%v: %s is %T %v, want a string", tpl["id"], f, tpl[f], tpl[f])
			}
		}
		if _, ok := tpl["temperature"].(float64); !ok {
			t.Errorf("%v: temperature is %T", tpl["id"], tpl["temperature"])
		}
		if _, ok := tpl["stream"].(bool); !ok {
			t.Errorf("%v: stream is %T", tpl["id"], tpl["stream"])
		}
	}
}
