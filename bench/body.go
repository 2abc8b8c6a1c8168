package main

import "encoding/json"

// chatBody is a realistic chat completion request of about 2 KB: a system
// prompt, a short conversation and the usual sampling options. Streams do
// not ask for usage (stream_options), as the OpenAI SDKs by default: the
// gateway then asks the upstream for it and hides the extra chunk, which
// is the path most clients take.
func chatBody(stream bool) []byte {
	type message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	body := struct {
		Model       string    `json:"model"`
		Messages    []message `json:"messages"`
		Temperature float64   `json:"temperature"`
		TopP        float64   `json:"top_p"`
		MaxTokens   int       `json:"max_tokens"`
		Stream      bool      `json:"stream"`
	}{
		Model: "gpt-oss:120b",
		Messages: []message{
			{"system", "You are a careful senior Go engineer helping a colleague review a pull request. " +
				"Answer concisely, quote the lines you refer to, and prefer the standard library. " +
				"When you suggest a change, show the smallest diff that fixes the problem and explain " +
				"the trade-off in one sentence. Never invent APIs; if unsure, say so."},
			{"user", "Here is a handler from our gateway:\n\n```go\nfunc (p *Proxy) forward(c *fiber.Ctx, t *Target, url string) error {\n" +
				"\tstart := time.Now()\n\ttokenID, ok := t.Tokens.Check(bearer(c))\n\tif !ok {\n\t\treturn errBadToken()\n\t}\n" +
				"\tbody := c.Request().Body()\n\treq, ok := peek(body)\n\tif !ok {\n\t\treturn errBadBody(\"not a JSON object\")\n\t}\n" +
				"\tfor attempt := 0; attempt < p.cfg.MaxRetries; attempt++ {\n\t\tk, err := t.Pool.Pick(tried)\n\t\t// ...\n\t}\n}\n```\n\n" +
				"Is reading the body this way safe when the client sends a gzip-encoded request?"},
			{"assistant", "Not quite: `c.Request().Body()` returns the raw bytes as sent, so with `Content-Encoding: gzip` " +
				"`peek` would see compressed data and reject it. Forwarding the raw body is right (the upstream gets " +
				"the same encoding header), but read `model` and `stream` from a decompressed copy, for example " +
				"`c.Body()`, only when `Content-Encoding` is set."},
			{"user", "Makes sense. Second question: we retry on 429 and 5xx with the next key. A colleague suggests " +
				"also retrying on 400 because some upstreams answer 400 for an exhausted key. What would you check " +
				"before agreeing, and how would you keep a genuinely bad request from being sent to every key in the pool? " +
				"Please keep it short, we only need the reasoning and a sketch of the classification function."},
		},
		Temperature: 0.7,
		TopP:        0.95,
		MaxTokens:   1024,
		Stream:      stream,
	}
	data, err := json.Marshal(body)
	if err != nil {
		panic(err) // a fixed struct always marshals
	}
	return data
}
