package web

// The API documentation's catalogue: one entry per route of the router's
// table. The /api-docs page lists the routes the router holds, each with
// its entry here; a route without one shows as undocumented, which the
// gateway's tests refuse. Examples write {base} for the gateway's URL.

// routeDoc documents one route.
type routeDoc struct {
	Method, Path string
	Section      string // one of docSections' ids
	Auth         string // "client token", "admin token", "none"…
	Text         string // what it does
	Example      string // a curl command
	// Alias is "METHOD path" of the route this one repeats under another
	// prefix: it is listed under that route, without an example of its own.
	Alias string
}

// key is how the router's table and the catalogue meet: "GET /v1/models".
func (d routeDoc) key() string { return d.Method + " " + d.Path }

// docSection is a group of routes on the page.
type docSection struct {
	ID, Title, Intro string
	Provider         string // the provider whose routes these are; "" for none
}

var docSections = []docSection{
	{"ollama", "Ollama — OpenAI-compatible", "Under /v1 (and the alias /ollama/v1), with an Ollama client token.", "ollama"},
	{"openrouter", "OpenRouter — OpenAI-compatible", "Under /openrouter/v1, with an OpenRouter client token.", "openrouter"},
	{"native", "Ollama — native API", "Ollama's own API under /api (and /ollama/api), for Ollama clients; native answers stream as NDJSON unless \"stream\": false, and errors are {\"error\":\"…\"}.", "ollama"},
	{"public", "Public and service routes", "No client token needed.", ""},
	{"admin", "Admin API", "Every /admin route but /admin/public-stats wants Authorization: Bearer $ADMIN_TOKEN; ?provider=ollama|openrouter picks the provider (default ollama). Errors are {\"error\":\"…\"}.", ""},
}

// docCatalogue is every documented route, in the page's order.
var docCatalogue = buildCatalogue()

func buildCatalogue() []routeDoc {
	var docs []routeDoc
	docs = append(docs, openAIDocs("ollama", "/v1", "", "$TOKEN", "gpt-oss:120b", "embeddinggemma")...)
	docs = append(docs, openAIDocs("ollama", "/ollama/v1", "/v1", "$TOKEN", "", "")...)
	docs = append(docs, openAIDocs("openrouter", "/openrouter/v1", "", "$OR_TOKEN", "openai/gpt-4o-mini", "openai/text-embedding-3-small")...)
	docs = append(docs, nativeDocs("/api", "")...)
	docs = append(docs, nativeDocs("/ollama/api", "/api")...)
	docs = append(docs, publicDocs...)
	return append(docs, adminDocs...)
}

const jsonHeaders = ` \
  -H "Authorization: Bearer `

// openAIDocs documents the OpenAI-compatible routes under prefix; with
// aliasOf set, as repeats of those under aliasOf.
func openAIDocs(section, prefix, aliasOf, token, model, embedModel string) []routeDoc {
	docs := []routeDoc{
		{Method: "POST", Path: prefix + "/chat/completions", Text: `Chat completion through the pool, with failover to another key. "stream": true answers Server-Sent Events ending with data: [DONE]; "stream_options": {"include_usage": true} adds usage.`,
			Example: `curl {base}` + prefix + `/chat/completions` + jsonHeaders + token + `" -H 'Content-Type: application/json' \
  -d '{"model":"` + model + `","messages":[{"role":"user","content":"Hello"}]}'`},
		{Method: "POST", Path: prefix + "/completions", Text: "Legacy text completion through the pool.",
			Example: `curl {base}` + prefix + `/completions` + jsonHeaders + token + `" -H 'Content-Type: application/json' \
  -d '{"model":"` + model + `","prompt":"Once upon a time","max_tokens":50}'`},
		{Method: "POST", Path: prefix + "/embeddings", Text: "Embeddings through the pool.",
			Example: `curl {base}` + prefix + `/embeddings` + jsonHeaders + token + `" -H 'Content-Type: application/json' \
  -d '{"model":"` + embedModel + `","input":"Hello"}'`},
		{Method: "GET", Path: prefix + "/models", Text: "The upstream's model list, fetched with one of the pool's keys.",
			Example: `curl {base}` + prefix + `/models` + jsonHeaders + token + `"`},
	}
	return finish(docs, section, "client token", prefix, aliasOf)
}

// nativeDocs documents Ollama's native API under prefix (see openAIDocs).
func nativeDocs(prefix, aliasOf string) []routeDoc {
	post := func(path, body string) string {
		return `curl {base}` + prefix + path + jsonHeaders + `$TOKEN" -H 'Content-Type: application/json' \
  -d '` + body + `'`
	}
	get := func(path string) string { return `curl {base}` + prefix + path + jsonHeaders + `$TOKEN"` }
	docs := []routeDoc{
		{Method: "POST", Path: prefix + "/chat", Text: "Chat through the pool; NDJSON stream unless \"stream\": false, usage from the final done:true object.",
			Example: post("/chat", `{"model":"gpt-oss:120b","messages":[{"role":"user","content":"Hello"}],"stream":false}`)},
		{Method: "POST", Path: prefix + "/generate", Text: "Text generation through the pool; streams like /chat.",
			Example: post("/generate", `{"model":"gpt-oss:120b","prompt":"Why is the sky blue?","stream":false}`)},
		{Method: "POST", Path: prefix + "/embed", Text: "Embeddings through the pool.",
			Example: post("/embed", `{"model":"embeddinggemma","input":"Hello"}`)},
		{Method: "POST", Path: prefix + "/embeddings", Text: "Ollama's older embeddings call, through the pool.",
			Example: post("/embeddings", `{"model":"embeddinggemma","prompt":"Hello"}`)},
		{Method: "POST", Path: prefix + "/show", Text: "A model's details, through the pool.",
			Example: post("/show", `{"model":"gpt-oss:120b"}`)},
		{Method: "GET", Path: prefix + "/tags", Text: "The union of the models the pool's keys see (cached for MODELS_CACHE_TTL).", Example: get("/tags")},
		{Method: "GET", Path: prefix + "/version", Text: "The Ollama version Keypool answers as (for clients that check it).", Example: get("/version")},
		{Method: "GET", Path: prefix + "/ps", Text: "Running models: always none, nothing runs locally.", Example: get("/ps")},
	}
	return finish(docs, "native", "client token", prefix, aliasOf)
}

// finish sets the section and auth of docs, and turns them into aliases
// of the routes under aliasOf when it is set.
func finish(docs []routeDoc, section, auth, prefix, aliasOf string) []routeDoc {
	for i := range docs {
		d := &docs[i]
		d.Section, d.Auth = section, auth
		if aliasOf != "" {
			d.Alias = d.Method + " " + aliasOf + d.Path[len(prefix):]
			d.Text, d.Example = "", ""
		}
	}
	return docs
}

var publicDocs = []routeDoc{
	{Method: "GET", Path: "/health", Section: "public", Auth: "none",
		Text:    `{"status":"ok","service":"keypool","version":…,"database":"ok","providers":{"ollama":{"enabled":true,"configured":true,…key counts…}},"timestamp":…,"uptime":…}; 503 when the database does not answer.`,
		Example: `curl {base}/health`},
	{Method: "GET", Path: "/metrics", Section: "public", Auth: "METRICS_TOKEN when set",
		Text:    "Prometheus metrics.",
		Example: `curl {base}/metrics -H "Authorization: Bearer $METRICS_TOKEN"`},
	{Method: "GET", Path: "/admin/public-stats", Section: "public", Auth: "none",
		Text:    "The public statistics as JSON: totals, key counts, the last 24 hours, the top 10 models. No key, token or user name; cached PUBLIC_STATS_TTL. ?provider=",
		Example: `curl '{base}/admin/public-stats?provider=ollama'`},
	{Method: "GET", Path: "/api/test-templates", Section: "public", Auth: "none",
		Text:    "Ready-made prompts for trying the pool: {templates:[{id, label, description, systemPrompt, userMessage, temperature, stream}]}. No model named: pick one from the live list.",
		Example: `curl {base}/api/test-templates`},
	{Method: "GET", Path: "/stats", Section: "public", Auth: "none",
		Text: "The public statistics page (?provider=).", Example: `curl '{base}/stats?provider=ollama'`},
	{Method: "GET", Path: "/api-docs", Section: "public", Auth: "none", Text: "This page.", Example: `curl {base}/api-docs`},
	{Method: "GET", Path: "/favicon.ico", Section: "public", Auth: "none", Text: "Redirects to the SVG icon under /static/.", Example: `curl -I {base}/favicon.ico`},
}
