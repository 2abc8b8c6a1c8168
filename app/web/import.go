package web

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/views"
	"github.com/keypool/keypool/views/components"
)

// ImportService is what the bulk upload page asks of the operator's
// actions: the same parser and store as every import route.
type ImportService interface {
	ImportKeys(ctx context.Context, provider string, in operator.Import) (operator.ImportReport, error)
	StartValidatedImport(ctx context.Context, provider string, in operator.Import) (operator.JobStarted, error)
}

// invalidLines is how many refused lines an import's result lists.
const invalidLines = 200

// showImport is the bulk upload form, with the result of the import just
// posted without JavaScript (?result=, shown once) or the validation
// followed through ?job=.
func (h *Handler) showImport(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	v := views.ImportView{Label: p.Info.Label, Action: "/dashboard/import?provider=" + p.Info.ID}
	if n := h.deps.Config.MaxImportBytes; n > 0 {
		v.MaxBytes = formatBytes(n)
	}
	if r, ok := h.once.take(c.Query("result")).(views.ImportResult); ok {
		v.Result = &r
	}
	if id := c.Query("job"); id != "" {
		jv := h.jobView(id, c.Path()+"?"+string(c.Request().URI().QueryString()))
		v.Job = &jv
	}
	return h.renderPage(c, fiber.StatusOK, h.page(c, "Bulk upload · "+p.Info.Label, "import", p), views.Import(v))
}

// importKeys imports the pasted text or the uploaded file, through the
// admin API's import (or, with "validate", its import with validation, a
// job whose card follows it). HTMX gets the result (or the card) in the
// page; without JavaScript the form's page comes back with it.
func (h *Handler) importKeys(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	page := "/dashboard/import?provider=" + p.Info.ID
	in, err := importInput(c)
	if err != nil {
		return h.importRefused(c, page, err)
	}
	if c.FormValue("validate") == "true" {
		started, err := h.deps.Imports.StartValidatedImport(c.UserContext(), p.Info.ID, in)
		if err != nil {
			return h.importRefused(c, page, err)
		}
		id := started.JobID
		page = withParam(page, "job", id)
		if !isHTMX(c) {
			return c.Redirect(page, fiber.StatusSeeOther)
		}
		c.Set("HX-Push-Url", page)
		return render(c, fiber.StatusOK, views.Job(h.jobView(id, page)))
	}
	report, err := h.deps.Imports.ImportKeys(c.UserContext(), p.Info.ID, in)
	if err != nil {
		return h.importRefused(c, page, err)
	}
	result := importResult(report)
	if !isHTMX(c) {
		return c.Redirect(withParam(page, "result", h.once.put(result)), fiber.StatusSeeOther)
	}
	toast(c, "ok", importSummary(report), "keysImported")
	return render(c, fiber.StatusOK, views.ImportResultCard(result))
}

// errNoInput is an import form with neither text nor file.
var errNoInput = errors.New("web: nothing to import")

// importInput reads the uploaded file, or else the pasted text, as the
// body of an import: a .json file as JSON, anything else as text.
func importInput(c *fiber.Ctx) (operator.Import, error) {
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		body, err := readUpload(fh)
		name := strings.ToLower(fh.Filename)
		in := operator.Import{ContentType: fiber.MIMETextPlain, Body: body}
		if path.Ext(name) == ".json" || strings.HasPrefix(fh.Header.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
			in.ContentType = fiber.MIMEApplicationJSON
		}
		return in, err
	}
	text := c.FormValue("text")
	if strings.TrimSpace(text) == "" {
		return operator.Import{}, errNoInput
	}
	return operator.Import{ContentType: fiber.MIMETextPlain, Body: []byte(text)}, nil
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// importRefused shows why an upload was refused (an empty form, a
// malformed or too large file); other errors are the error page's.
func (h *Handler) importRefused(c *fiber.Ctx, page string, err error) error {
	msg := "Paste keys or choose a file to upload."
	switch {
	case refused(err):
		_, msg = refusal(err)
	case !errors.Is(err, errNoInput):
		return err
	}
	if !isHTMX(c) {
		h.setFlash(c, "error", msg)
		return c.Redirect(page, fiber.StatusSeeOther)
	}
	return render(c, fiber.StatusOK, views.ImportError(msg))
}

// importResult shapes an import's report.
func importResult(r operator.ImportReport) views.ImportResult {
	v := views.ImportResult{Counts: []components.Figure{
		{Label: "Imported", Value: formatInt(r.Imported)},
		{Label: "Duplicates", Value: formatInt(r.Duplicates), Note: "already stored or repeated"},
		{Label: "Invalid", Value: formatInt(int64(len(r.Invalid))), Note: "lines not imported"},
	}}
	for i, l := range r.Invalid {
		if i == invalidLines {
			v.More = "…and " + formatInt(int64(len(r.Invalid)-i)) + " more."
			break
		}
		v.Invalid = append(v.Invalid, views.ImportLine{Line: l.Line, Reason: l.Reason})
	}
	return v
}
