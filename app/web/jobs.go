package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/views"
	"github.com/keypool/keypool/views/components"
)

// JobSource finds the background jobs the pages started (the operator's).
type JobSource interface {
	NotableLines(id string, maxLines int) (operator.JobView, error)
}

// jobLines is how many of a job's notable lines its card lists.
const jobLines = 100

// showJob is a job's card. HTMX polls it every second while the job runs;
// the answer that first shows the job finished raises a toast and the
// jobDone event (the keys list reloads on it). Without HTMX it is a page.
func (h *Handler) showJob(c *fiber.Ctx) error {
	id := c.Params("id")
	if isHTMX(c) {
		v := h.jobView(id, currentPage(c))
		if !v.Running && !v.Missing {
			kind := map[bool]string{true: "error", false: "ok"}[v.Failed]
			toast(c, kind, v.Title+": "+v.Outcome, "jobDone")
		}
		return render(c, fiber.StatusOK, views.Job(v))
	}
	job, _ := h.deps.Jobs.NotableLines(id, 0)
	nav, back := "keys", components.Link{Label: "Keys", URL: "/dashboard/keys?provider=" + job.Provider + "&job=" + id}
	if job.Kind == jobs.KindImportValidation {
		nav, back = "import", components.Link{Label: "Bulk upload", URL: "/dashboard/import?provider=" + job.Provider + "&job=" + id}
	}
	v := h.jobView(id, back.URL)
	return h.renderPage(c, fiber.StatusOK, h.page(c, v.Title, nav, nil), views.JobPage(v, back))
}

// jobView shapes a job for its card; page is the page following it.
func (h *Handler) jobView(id, page string) views.JobView {
	j, err := h.deps.Jobs.NotableLines(id, jobLines)
	if err != nil {
		return views.JobView{Title: "Job " + id, Missing: true}
	}
	label := j.Provider
	if p, ok := h.deps.Providers[j.Provider]; ok {
		label = p.Info.Label
	}
	v := views.JobView{Running: j.State == jobs.Running, Failed: j.State == jobs.Failed, Poll: "/dashboard/jobs/" + id,
		Page: page, Done: j.Done, Total: j.Total}
	unit := " lines checked"
	if j.Kind == jobs.KindHealthCheck {
		v.Title, unit = "Health check · "+label, " keys checked"
		v.Counts = []components.Figure{{Label: "Working", Value: formatInt(int64(j.Valid))},
			{Label: "Invalid", Value: formatInt(int64(j.Invalid)), Note: "marked failed"},
			{Label: "Inconclusive", Value: formatInt(int64(j.Unknown)), Note: "left as they were"}}
	} else {
		v.Title = "Validated import · " + label
		v.Counts = []components.Figure{{Label: "Valid", Value: formatInt(int64(j.Valid))},
			{Label: "Invalid", Value: formatInt(int64(j.Invalid)), Note: "not imported"},
			{Label: "Inconclusive", Value: formatInt(int64(j.Unknown)), Note: "not imported: try again later"}}
	}
	v.Status = formatInt(int64(j.Done)) + " of " + formatInt(int64(j.Total)) + unit
	v.Outcome = jobOutcome(j)
	for _, l := range j.Lines {
		v.Lines = append(v.Lines, jobLine(l))
	}
	if j.More > 0 {
		v.More = "…and " + formatInt(int64(j.More)) + " more."
	}
	return v
}

// jobOutcome says what a finished job did.
func jobOutcome(j operator.JobView) string {
	switch {
	case j.State == jobs.Running:
		return ""
	case j.State == jobs.Failed:
		return "The job failed: " + j.Error + "."
	}
	switch r := j.Report.(type) {
	case *operator.HealthReport:
		return counted(int(r.MarkedFailed), "key") + " marked failed, " + counted(int(r.Enabled), "failed key") + " enabled again."
	case operator.ImportReport:
		return importSummary(r)
	}
	return "Finished."
}

// jobLine shapes one result line; a key a health check brought back is
// shown as such.
func jobLine(l jobs.Line) views.JobLine {
	v := views.JobLine{Line: l.Line, Key: l.Key, Result: l.Result, Reason: l.Reason, Badge: "warn"}
	switch {
	case l.Action == "enabled":
		v.Badge, v.Result = "ok", "enabled again"
	case l.Result == jobs.ResultInvalid:
		v.Badge = "bad"
	}
	if l.Key == "" {
		v.Key = "–"
	}
	return v
}

// importSummary says what an import did, in words.
func importSummary(r operator.ImportReport) string {
	return "Imported " + counted(int(r.Imported), "key") + "; " + strconv.FormatInt(r.Duplicates, 10) + " duplicate" +
		plural(r.Duplicates, "", "s") + ", " + counted(len(r.Invalid), "invalid line") + "."
}
