// Package testkit holds, in its subpackages, what only tests use: a fake
// Ollama and OpenRouter upstream (fakeupstream, also driven by the
// benchmark in bench/), a log sink (logtest), and throwaway PostgreSQL
// databases and Redis servers (storetest, redistest) that skip, naming the
// variable, when the service is not configured and fail when CI=true. No
// package that runs in the gateway imports them.
package testkit
