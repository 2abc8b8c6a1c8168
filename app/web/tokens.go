package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/views"
)

// TokenService is what the tokens page asks of the operator's actions.
type TokenService interface {
	ListTokens(ctx context.Context, provider string) ([]operator.TokenView, error)
	CreateToken(ctx context.Context, provider string, in operator.NewToken) (operator.CreatedToken, error)
	DeleteTokens(ctx context.Context, provider, name, id string) (int64, error)
}

// showTokens lists the provider's client tokens, with the token just
// created without JavaScript (?created=): its plaintext is shown this once.
func (h *Handler) showTokens(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	body, err := h.tokensBody(c, p.Info.ID)
	if err != nil {
		return err
	}
	if t, ok := h.once.take(c.Query("created")).(views.CreatedToken); ok {
		body.Created = &t
	}
	v := views.TokensView{Label: p.Info.Label, Action: "/dashboard/tokens?provider=" + p.Info.ID,
		MinDate: h.now().UTC().Format(time.DateOnly), Body: body}
	return h.renderPage(c, fiber.StatusOK, h.page(c, "Tokens · "+p.Info.Label, "tokens", p), views.Tokens(v))
}

// tokensBody lists the provider's tokens.
func (h *Handler) tokensBody(c *fiber.Ctx, provider string) (views.TokensBody, error) {
	list, err := h.deps.Tokens.ListTokens(c.UserContext(), provider)
	if err != nil {
		return views.TokensBody{}, err
	}
	now := h.now()
	var b views.TokensBody
	for _, t := range list {
		r := views.TokenRow{Name: t.Name, Prefix: t.Prefix + "…", Requests: formatInt(t.RequestCount),
			LastUsed: formatAgo(t.LastUsedAt, now), Expires: "never", Created: t.CreatedAt.UTC().Format(time.DateOnly),
			Delete: "/dashboard/tokens/" + t.ID + "/delete?provider=" + provider}
		if t.Prefix == "" {
			r.Prefix = "–"
		}
		if t.ExpiresAt != nil {
			r.Expires, r.Expired = formatExpiry(*t.ExpiresAt), !t.ExpiresAt.After(now)
		}
		b.Rows = append(b.Rows, r)
	}
	return b, nil
}

// createToken makes a client token through the admin API. HTMX gets the
// new token and the list; without JavaScript the page comes back with the
// token, kept for that one view.
func (h *Handler) createToken(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	page := "/dashboard/tokens?provider=" + p.Info.ID
	expires, problem := parseExpiry(c.FormValue("expires"), h.now())
	if problem != "" {
		return h.tokenRefused(c, page, p.Info.ID, problem)
	}
	t, err := h.deps.Tokens.CreateToken(c.UserContext(), p.Info.ID, operator.NewToken{Name: c.FormValue("name"), ExpiresAt: expires})
	if refused(err) {
		_, msg := refusal(err)
		return h.tokenRefused(c, page, p.Info.ID, "The token was not created: "+msg+".")
	}
	if err != nil {
		return err
	}
	created := views.CreatedToken{Name: t.Name, Token: t.Token, Expires: "It never expires."}
	if t.ExpiresAt != nil {
		created.Expires = "It expires " + formatExpiry(*t.ExpiresAt) + "."
	}
	if !isHTMX(c) {
		return c.Redirect(withParam(page, "created", h.once.put(created)), fiber.StatusSeeOther)
	}
	body, err := h.tokensBody(c, p.Info.ID)
	if err != nil {
		return err
	}
	body.Created = &created
	toast(c, "ok", "Token “"+t.Name+"” created: copy it now.", "tokenCreated")
	return render(c, fiber.StatusOK, views.TokensBodyView(body))
}

// tokenRefused says why a token was not created.
func (h *Handler) tokenRefused(c *fiber.Ctx, page, provider, msg string) error {
	if !isHTMX(c) {
		h.setFlash(c, "error", msg)
		return c.Redirect(page, fiber.StatusSeeOther)
	}
	body, err := h.tokensBody(c, provider)
	if err != nil {
		return err
	}
	body.Error = msg
	return render(c, fiber.StatusOK, views.TokensBodyView(body))
}

// parseExpiry reads the form's date (YYYY-MM-DD): the token works until
// the end of that day, UTC. Empty: it never expires. A problem is said
// in words for the form.
func parseExpiry(value string, now time.Time) (expires *time.Time, problem string) {
	if value == "" {
		return nil, ""
	}
	day, err := time.Parse(time.DateOnly, value)
	if err != nil {
		return nil, "The expiry must be a date (YYYY-MM-DD)."
	}
	end := day.AddDate(0, 0, 1)
	if !end.After(now) {
		return nil, "The expiry date has passed: choose today or a later day."
	}
	return &end, ""
}

// formatExpiry writes an expiry time as the last day a token works.
func formatExpiry(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return "after " + t.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return t.Format("2006-01-02 15:04") + " UTC"
}
