package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/views"
)

// actOnKeys enables, disables (for a duration) or deletes the keys of the
// "id" fields: one row's, or those ticked for the bulk bar. HTMX gets only
// the changed rows and a toast: a row's form gets its row (nothing for a
// deleted key, which removes it), the bulk bar every changed row out of
// band. Without JavaScript the list comes back with a flash message, and
// a delete asks first.
func (h *Handler) actOnKeys(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	ids, action := formValues(c, "id"), c.FormValue("action")
	forms := keyForms(p.Info.ID, safeBack(c.FormValue("back"), "/dashboard/keys?provider="+p.Info.ID))
	if len(ids) == 0 {
		return h.keysDone(c, forms, nil, nil, "error", "Tick the keys to act on first.")
	}
	var rows []operator.KeyView
	var msg string
	switch action {
	case "enable":
		rows, err = h.deps.Keys.EnableKeys(c.UserContext(), p.Info.ID, ids)
		msg = counted(len(rows), "key") + " enabled."
	case "disable":
		d, label, ok := disableFor(c.FormValue("duration"))
		if !ok {
			return fiber.NewError(fiber.StatusBadRequest, "The duration must be 1h, 24h or forever.")
		}
		rows, err = h.deps.Keys.DisableKeys(c.UserContext(), p.Info.ID, ids, d)
		msg = counted(len(rows), "key") + " disabled " + label + "."
	case "delete":
		if !isHTMX(c) && c.FormValue("confirm") != "yes" {
			return h.confirmDeleteKeys(c, forms, ids)
		}
		var n int64
		if n, err = h.deps.Keys.DeleteKeys(c.UserContext(), p.Info.ID, ids); err == nil {
			msg = counted(int(n), "key") + " deleted."
		}
	default:
		return fiber.NewError(fiber.StatusBadRequest, "The action must be enable, disable or delete.")
	}
	if err != nil {
		return err
	}
	if len(rows) == 1 {
		msg = "Key " + rows[0].APIKey + strings.TrimPrefix(msg, "1 key")
	}
	return h.keysDone(c, forms, ids, rows, "ok", msg)
}

// keysDone answers an action on keys: the changed rows for HTMX (those of
// ids not among rows are gone), else the list again.
func (h *Handler) keysDone(c *fiber.Ctx, forms views.KeyForms, ids []string, rows []operator.KeyView, kind, msg string) error {
	if !isHTMX(c) {
		h.setFlash(c, kind, msg)
		return c.Redirect(forms.Back, fiber.StatusSeeOther)
	}
	toast(c, kind, msg)
	if len(ids) == 0 {
		return c.SendStatus(fiber.StatusNoContent) // nothing to swap
	}
	now, durs := h.now(), options(durationOptions(), "1h")
	shown := make([]views.KeyRow, len(rows))
	kept := map[string]bool{}
	for i, r := range rows {
		shown[i], kept[r.ID] = keyRow(r, now), true
	}
	if target := c.Get("HX-Target"); strings.HasPrefix(target, "key-") { // a row's own form
		if len(shown) == 1 && target == "key-"+shown[0].ID {
			return render(c, fiber.StatusOK, views.KeyRowView(shown[0], forms, durs))
		}
		c.Status(fiber.StatusOK) // the key is gone: the empty answer removes its row
		return nil
	}
	var removed []string
	for _, id := range ids {
		if !kept[id] {
			removed = append(removed, id)
		}
	}
	return render(c, fiber.StatusOK, views.KeysUpdate(shown, removed, forms, durs))
}

// confirmDeleteKeys asks before deleting keys when the browser runs no
// JavaScript (which would have asked with hx-confirm).
func (h *Handler) confirmDeleteKeys(c *fiber.Ctx, forms views.KeyForms, ids []string) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	v := views.ConfirmView{Title: "Delete " + counted(len(ids), "key") + "?",
		Message: "The keys are removed from the pool and the database. This cannot be undone.",
		Action:  forms.Action, Fields: [][2]string{{"action", "delete"}, {"back", forms.Back}}, IDs: ids,
		Button: "Delete", Cancel: forms.Back}
	return h.renderPage(c, fiber.StatusOK, h.page(c, "Delete keys", "keys", p), views.Confirm(v))
}

// checkKeys starts a health check of the ticked keys, or of every key of
// the provider. HTMX gets the job's card (which then follows the job) and
// the page's URL with ?job=, so that the job can be left and come back to;
// without JavaScript the page comes back with the job.
func (h *Handler) checkKeys(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	ids := formValues(c, "id")
	back := safeBack(c.FormValue("back"), "/dashboard/keys?provider="+p.Info.ID)
	if len(ids) == 0 && c.FormValue("scope") == "selected" {
		return h.keysDone(c, keyForms(p.Info.ID, back), nil, nil, "error", "Tick the keys to check first.")
	}
	started, err := h.deps.Keys.StartHealthCheck(c.UserContext(), p.Info.ID, ids)
	if err != nil {
		return err
	}
	id := started.JobID
	if !isHTMX(c) {
		return c.Redirect(withParam(back, "job", id), fiber.StatusSeeOther)
	}
	page := withParam(safeBack(currentPage(c), back), "job", id)
	c.Set("HX-Push-Url", page)
	return render(c, fiber.StatusOK, views.Job(h.jobView(id, page)))
}

// disableFor reads the duration select: its time, and words for messages.
func disableFor(value string) (time.Duration, string, bool) {
	for _, d := range disableDurations {
		if d.Value == value {
			return d.d, d.Label, true
		}
	}
	return 0, "", false
}

// counted writes "1 key", "3 keys".
func counted(n int, noun string) string {
	return formatInt(int64(n)) + " " + noun + plural(int64(n), "", "s")
}
