package web

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/views"
	"github.com/keypool/keypool/views/components"
)

// showSettings shows the provider switches, database and Redis status
// and the effective configuration with its secrets masked.
func (h *Handler) showSettings(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	v := views.SettingsView{Providers: h.providerSwitches(), Config: configEntries(h.deps.Config)}
	v.Services = []views.ServiceStatus{h.databaseStatus(c.UserContext()), h.redisStatus(c.UserContext())}
	return h.renderPage(c, fiber.StatusOK, h.page(c, "Settings", "settings", p), views.Settings(v))
}

// providerSwitches shows each provider's runtime switch; one that
// DISABLE_* turned off is shown off and read-only.
func (h *Handler) providerSwitches() []components.Switch {
	var out []components.Switch
	for _, id := range []string{provider.Ollama, provider.OpenRouter} {
		out = append(out, h.providerSwitch(id))
	}
	return out
}

// providerSwitch is one provider's switch.
func (h *Handler) providerSwitch(id string) components.Switch {
	p, ok := h.deps.Providers[id]
	if !ok {
		return components.Switch{ID: "provider-" + id, Label: provider.New(id, "").Label,
			Note: "Turned off in the configuration (" + disableVar(id) + "=true): no routes, no tables. Change it and restart."}
	}
	s := components.Switch{ID: "provider-" + id, Label: p.Info.Label, On: p.Info.Enabled(),
		Action: "/dashboard/settings/providers/" + id, Note: "On: serves its client routes with upstream " + p.Info.BaseURL + "."}
	if !s.On {
		s.Note = "Off: its client routes answer 503 (disabled by administrator) until it is switched on again (kept across restarts)."
	}
	return s
}

func disableVar(id string) string {
	if id == provider.OpenRouter {
		return "DISABLE_OPENROUTER"
	}
	return "DISABLE_OLLAMA"
}

// databaseStatus pings the database, within 2 s.
func (h *Handler) databaseStatus(ctx context.Context) views.ServiceStatus {
	s := views.ServiceStatus{Name: "Database", Text: h.deps.DBName}
	if h.deps.DB == nil {
		s.Badge, s.State = "neutral", "unknown"
		return s
	}
	return h.ping(ctx, s, h.deps.DB)
}

// redisStatus pings Redis when the gateway has a client for it.
func (h *Handler) redisStatus(ctx context.Context) views.ServiceStatus {
	s := views.ServiceStatus{Name: "Redis"}
	switch {
	case h.deps.Config.RedisURL == "":
		s.Badge, s.State, s.Text = "neutral", "not configured", "REDIS_URL is not set: limits, cooldowns and caches are per instance."
		return s
	case h.deps.Redis == nil:
		s.Badge, s.State, s.Text = "neutral", "configured", maskURL(h.deps.Config.RedisURL)+" (no Redis client in this process)"
		return s
	}
	s.Text = maskURL(h.deps.Config.RedisURL)
	return h.ping(ctx, s, h.deps.Redis)
}

func (h *Handler) ping(ctx context.Context, s views.ServiceStatus, p Pinger) views.ServiceStatus {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := p.Ping(ctx); err != nil {
		h.deps.Log.Warn("web: service did not answer", "service", s.Name, "err", err)
		s.Badge, s.State = "bad", "down"
		s.Text += " — did not answer (details in the gateway's log)"
		return s
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	s.Badge, s.State = "ok", "up"
	s.Text += " — answered in " + strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	return s
}
