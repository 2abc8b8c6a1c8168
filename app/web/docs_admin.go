package web

// adminDocs documents the admin API (see docs_catalogue.go).
var adminDocs = adminCatalogue()

func adminCatalogue() []routeDoc {
	const auth = ` -H "Authorization: Bearer $ADMIN_TOKEN"`
	const jsonBody = auth + ` \
  -H 'Content-Type: application/json' -d '`
	get := func(url string) string { return `curl '{base}` + url + `'` + auth }
	send := func(method, url, body string) string {
		if body == "" {
			return `curl -X ` + method + ` '{base}` + url + `'` + auth
		}
		return `curl -X ` + method + ` '{base}` + url + `'` + jsonBody + body + `'`
	}
	docs := []routeDoc{
		{Method: "POST", Path: "/admin/api-keys/import",
			Text:    `Import keys: {"keys":[…],"provider":…}; a key may be an object {"api_key","username","expires_at"}. Answers {"imported","duplicates","invalid","skipped","total","added","existing"}.`,
			Example: send("POST", "/admin/api-keys/import", `{"keys":["sk-a","sk-b"],"provider":"ollama"}`)},
		{Method: "POST", Path: "/admin/api-keys/import-from-txt",
			Text: "Import keys one a line (or the original project's ollama.txt lines), sent as text/plain, JSON {\"text\"} or {\"content\"}, or a multipart file field \"file\".",
			Example: `curl -X POST '{base}/admin/api-keys/import-from-txt?provider=ollama'` + auth + ` \
  -H 'Content-Type: text/plain' --data-binary @keys.txt`},
		{Method: "POST", Path: "/admin/api-keys/import-with-validation",
			Text:    `Like the imports above, each key probed upstream first; only valid keys are stored. Answers when the probes are done (at most 3 × PROBE_TIMEOUT): {"total","valid","invalid","categories","job_id","complete"}; with ?async=true 202 {"job_id","total"} at once: follow the job.`,
			Example: send("POST", "/admin/api-keys/import-with-validation", `{"keys":["sk-a","sk-b"],"provider":"ollama"}`)},
		{Method: "POST", Path: "/admin/keys/health-check",
			Text:    `Probe the keys ({"api_keys":[…]}, default all of the provider): invalid keys fail for KEY_COOLDOWN, failed keys that answer come back. Answers {"results":[{"apiKey","fullKey","healthy","status","timestamp","error"}]} when done; with ?async=true 202 {"job_id","total"}.`,
			Example: send("POST", "/admin/keys/health-check?provider=ollama", `{}`)},
		{Method: "POST", Path: "/admin/import",
			Text:    `The original project's dashboard import: {"accounts":[line or {"api_key","username"|"email"}],"provider"}; for ---- lines the key is the last field. Answers {"success","imported","failed","total","duplicates","skipped","details"}.`,
			Example: send("POST", "/admin/import", `{"accounts":["alice@example.com----pw----session----sk-a"],"provider":"ollama"}`)},
		{Method: "POST", Path: "/admin/verify-key",
			Text:    `Probe one stored key now: {"apiKey"} (or its id). A working key is enabled, an invalid one failed. Answers {"valid","status","error","apiKey","timestamp"}.`,
			Example: send("POST", "/admin/verify-key", `{"apiKey":"KEY_ID","provider":"ollama"}`)},
		{Method: "GET", Path: "/admin/jobs/:id", Text: "A job with its per-line results; ?since=N for the results from index N on.",
			Example: get("/admin/jobs/JOB_ID?since=0")},
		{Method: "GET", Path: "/admin/jobs/:id/events", Text: `A job's progress as Server-Sent Events: the job, then "progress" per change and "done" at the end.`,
			Example: `curl -N '{base}/admin/jobs/JOB_ID/events'` + auth},
		{Method: "GET", Path: "/admin/api-keys",
			Text:    "One page of keys, masked, each with an opaque id: ?status=, ?q= (part of the key or username), ?page=, ?per_page= (1–500), ?sort=created_at|status|last_used|requests, ?order=asc|desc.",
			Example: get("/admin/api-keys?provider=ollama&status=failed&per_page=20")},
		{Method: "POST", Path: "/admin/api-keys", Text: `Add one key: 201 with its row, 409 if stored already.`,
			Example: send("POST", "/admin/api-keys", `{"api_key":"sk-c","username":"alice","provider":"ollama"}`)},
		{Method: "DELETE", Path: "/admin/api-keys", Text: `Delete {"api_key":…} or {"api_keys":[…]}, each the key or its id; answers {"deleted":n}.`,
			Example: send("DELETE", "/admin/api-keys?provider=ollama", `{"api_keys":["KEY_ID_1","KEY_ID_2"]}`)},
		{Method: "DELETE", Path: "/admin/api-keys/:key", Text: "Delete one key, given URL-escaped or as its id.",
			Example: send("DELETE", "/admin/api-keys/KEY_ID?provider=ollama", "")},
		{Method: "POST", Path: "/admin/keys/enable", Text: `Make a key active again, counters and cooldowns cleared: {"id"} or {"api_key"}.`,
			Example: send("POST", "/admin/keys/enable", `{"id":"KEY_ID","provider":"ollama"}`)},
		{Method: "POST", Path: "/admin/keys/disable", Text: `Take a key out of rotation for "duration" seconds, or until enabled when absent or 0.`,
			Example: send("POST", "/admin/keys/disable", `{"id":"KEY_ID","duration":3600,"provider":"ollama"}`)},
		{Method: "POST", Path: "/admin/tokens",
			Text:    `Create a client token of the provider: {"name","expires_at","rpm_limit","tpm_limit"}. 201 {"token",…}: the plaintext is shown this once.`,
			Example: send("POST", "/admin/tokens?provider=ollama", `{"name":"laptop"}`)},
		{Method: "GET", Path: "/admin/tokens", Text: "The provider's client tokens: id, name, prefix, use counts; never the token.",
			Example: get("/admin/tokens?provider=ollama")},
		{Method: "DELETE", Path: "/admin/tokens", Text: `Delete the tokens named {"name"} or the one of {"id"}.`,
			Example: send("DELETE", "/admin/tokens?provider=ollama", `{"name":"laptop"}`)},
		{Method: "DELETE", Path: "/admin/tokens/:id", Text: "Delete one client token by its id.",
			Example: send("DELETE", "/admin/tokens/TOKEN_ID?provider=ollama", "")},
		{Method: "GET", Path: "/admin/client-tokens", Text: `The original project's name for GET /admin/tokens: {"client_tokens":[…]}.`,
			Example: get("/admin/client-tokens?provider=ollama")},
		{Method: "POST", Path: "/admin/client-tokens", Text: `Create a client token: {"name","ttl"} (seconds). 201 {"token","name",…}.`,
			Example: send("POST", "/admin/client-tokens?provider=ollama", `{"name":"laptop","ttl":86400}`)},
		{Method: "DELETE", Path: "/admin/client-tokens/:token", Text: "Delete one client token, given URL-escaped or as its id.",
			Example: send("DELETE", "/admin/client-tokens/TOKEN_ID?provider=ollama", "")},
		{Method: "GET", Path: "/admin/providers", Text: "Every provider: configured, switched on, upstream, key counts.",
			Example: get("/admin/providers")},
		{Method: "POST", Path: "/admin/providers/:id/enable", Text: "Switch a provider's client routes on (kept across restarts).",
			Example: send("POST", "/admin/providers/openrouter/enable", "")},
		{Method: "POST", Path: "/admin/providers/:id/disable", Text: "Switch a provider's client routes off: they answer 503 (disabled by administrator) until switched on.",
			Example: send("POST", "/admin/providers/openrouter/disable", "")},
		{Method: "GET", Path: "/admin/cache/stats", Text: "The response cache's figures for ?provider= (entries, bytes, hits, misses).", Example: get("/admin/cache/stats")},
		{Method: "POST", Path: "/admin/cache/clear", Text: "Empty a provider's response cache (?provider=), on every instance.", Example: send("POST", "/admin/cache/clear", "")},
		{Method: "GET", Path: "/admin/stats", Text: "Totals, key counts by state and the top models (never cached).",
			Example: get("/admin/stats?provider=ollama")},
		{Method: "GET", Path: "/admin/stats/hourly", Text: "One zero-filled point per UTC hour: ?hours=24|168|720, ?model= (default all).",
			Example: get("/admin/stats/hourly?provider=ollama&hours=168")},
		{Method: "GET", Path: "/admin/keys/stats",
			Text:    "Keys with their usage, masked unless ?reveal=true: ?page=, ?per_page= (≤ 500), ?sort=requests|success_rate|failures|last_used|key, ?order=.",
			Example: get("/admin/keys/stats?provider=ollama&sort=failures&per_page=20")},
	}
	for i := range docs {
		docs[i].Section, docs[i].Auth = "admin", "admin token"
	}
	return docs
}
