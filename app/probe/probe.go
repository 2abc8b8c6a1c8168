// Package probe asks an upstream whether one API key works without
// spending any of its quota: OpenRouter's GET /v1/key (which also reports
// the key's credits) and Ollama's GET /api/balance (which reports its
// balance and usage period). Only when OLLAMA_PROBE_MODEL is set, for
// Ollama-compatible upstreams without /api/balance, is an Ollama key
// probed with a 1-token chat with that model instead. Imports with
// validation and health checks use it; it never changes a key's state
// itself.
//
// Ollama lets an account (here: a key) ask /api/balance 10 times a
// minute. A prober remembers the Retry-After of every 429 it got there
// and does not ask again before it; Each probes every distinct key once,
// with a bounded number of probes in flight over all keys.
package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/redact"
)

// Verdict is what a probe learned about a key.
type Verdict string

// Verdicts. Unknown means the probe could not tell (upstream error,
// timeout, connection error): the key should be left as it is.
const (
	Valid   Verdict = "valid"
	Invalid Verdict = "invalid"
	Unknown Verdict = "unknown"
)

// Result is the outcome of one probe.
type Result struct {
	Verdict     Verdict       `json:"result"`
	Status      int           `json:"status,omitempty"` // upstream HTTP status; 0 when none arrived
	Reason      string        `json:"reason,omitempty"` // why, in words; the key is masked
	RateLimited bool          `json:"rate_limited,omitempty"`
	Credits     *Credits      `json:"credits,omitempty"` // OpenRouter only
	Balance     *Balance      `json:"balance,omitempty"` // Ollama's GET /api/balance only
	Duration    time.Duration `json:"-"`
}

// Valid reports whether the key works (it may be rate limited right now).
func (r Result) Valid() bool { return r.Verdict == Valid }

// Credits are OpenRouter's figures for a key (GET /v1/key "data").
type Credits struct {
	Label          string   `json:"label"`
	Limit          *float64 `json:"limit"`           // credit limit; nil = unlimited
	LimitRemaining *float64 `json:"limit_remaining"` // nil = unlimited
	Usage          float64  `json:"usage"`           // credits used
	IsFreeTier     bool     `json:"is_free_tier"`
}

// Config tunes a Prober.
type Config struct {
	Timeout          time.Duration // one probe, from request to answer (default 15 s)
	OllamaProbeModel string        // empty: probe Ollama keys with GET /api/balance; else a 1-token chat with this model
	Log              *slog.Logger  // nil: discard
}

// Prober probes keys. It is safe for concurrent use.
type Prober struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger
	holds  holds // keys the balance endpoint answered 429, until its Retry-After
}

// New returns a Prober with its own HTTP client, tuned for many short
// requests to one host.
func New(cfg Config) *Prober {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	return &Prober{cfg: cfg, client: &http.Client{Transport: tr}, log: log}
}

// maxBody bounds how much of an answer is read.
const maxBody = 64 << 10

// Probe asks p's upstream whether apiKey works, within the probe timeout.
func (pr *Prober) Probe(ctx context.Context, p *provider.Provider, apiKey string) Result {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, pr.cfg.Timeout)
	defer cancel()
	var r Result
	if pr.usesBalance(p) {
		r = pr.probeBalance(ctx, p, apiKey)
	} else {
		r, _ = pr.once(ctx, p, apiKey)
	}
	r.Duration = time.Since(start)
	pr.log.Debug("probe: key probed", "provider", p.ID, "key", redact.Key(apiKey), "result", r.Verdict,
		"status", r.Status, "duration_ms", r.Duration.Milliseconds())
	return r
}

// usesBalance reports whether keys of p are probed with GET /api/balance.
func (pr *Prober) usesBalance(p *provider.Provider) bool {
	return p.ID != provider.OpenRouter && pr.cfg.OllamaProbeModel == ""
}

// once sends one probe request and reads its answer.
func (pr *Prober) once(ctx context.Context, p *provider.Provider, apiKey string) (Result, http.Header) {
	req, err := pr.request(ctx, p, apiKey)
	if err != nil {
		return Result{Verdict: Unknown, Reason: "cannot build the probe request: " + err.Error()}, nil
	}
	return pr.send(ctx, req, p, apiKey)
}

// request builds the cheapest request that proves the key.
func (pr *Prober) request(ctx context.Context, p *provider.Provider, apiKey string) (*http.Request, error) {
	var req *http.Request
	var err error
	switch {
	case p.ID == provider.OpenRouter:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, p.BaseURL+"/v1/key", nil)
	case pr.usesBalance(p):
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, p.BaseURL+"/api/balance", nil)
	default:
		body, _ := json.Marshal(map[string]any{"model": pr.cfg.OllamaProbeModel, "max_tokens": 1, "stream": false,
			"messages": []map[string]string{{"role": "user", "content": "hi"}}})
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, p.BaseURL+"/v1/chat/completions", bytes.NewReader(body))
		if req != nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	for k, v := range p.Headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	return req, nil
}

// send runs the request and reads what its answer says about the key,
// returning the answer's header too (nil when none arrived).
func (pr *Prober) send(ctx context.Context, req *http.Request, p *provider.Provider, apiKey string) (Result, http.Header) {
	resp, err := pr.client.Do(req)
	if err != nil {
		return Result{Verdict: Unknown, Reason: transportReason(ctx, err, pr.cfg.Timeout, apiKey)}, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil && resp.StatusCode < 300 {
		// The status is what counts for a valid key, but a cut answer
		// means the upstream is not well: say so.
		return Result{Verdict: Unknown, Status: resp.StatusCode, Reason: transportReason(ctx, err, pr.cfg.Timeout, apiKey)}, resp.Header
	}
	r := judge(resp.StatusCode, body, apiKey)
	if r.Verdict == Valid && resp.StatusCode < 300 {
		switch {
		case p.ID == provider.OpenRouter:
			r.Credits = readCredits(body)
		case pr.usesBalance(p):
			r.Balance = readBalance(body)
		}
	}
	return r, resp.Header
}

// transportReason says why no answer arrived, without the key.
func transportReason(ctx context.Context, err error, timeout time.Duration, apiKey string) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within the probe timeout (%v)", timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return "probe canceled"
	}
	return redact.In("connection error: "+err.Error(), apiKey)
}

// Close releases the prober's idle connections.
func (pr *Prober) Close() { pr.client.CloseIdleConnections() }
