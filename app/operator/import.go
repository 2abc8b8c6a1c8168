package operator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"time"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/keyimport"
	"github.com/keypool/keypool/models"
)

// Import is an import request's body as it arrived, whatever its form:
// every import route and the dashboard's upload go through ParseImport.
type Import struct {
	ContentType string // text/plain (or none), application/json, multipart/form-data
	Body        []byte
}

// ImportBody is an import's input once read: the keys and the provider
// the body named, if any.
type ImportBody struct {
	Provider string
	Keys     keyimport.Result
}

// ImportReport says what an import did with each input.
type ImportReport struct {
	Imported   int64               `json:"imported"`
	Duplicates int64               `json:"duplicates"`
	Invalid    []keyimport.Invalid `json:"invalid"`
	Skipped    int                 `json:"skipped"`
	// The original project's names: the entries read (blank lines and
	// comments aside), those stored, and those stored already.
	Total    int   `json:"total"`
	Added    int64 `json:"added"`
	Existing int64 `json:"existing"`
}

// ParseImport reads an import by its content type, after checking its
// size against MAX_IMPORT_BYTES:
//   - JSON: {"keys":[…]} (strings or {"api_key","username","expires_at"}),
//     a bare array of the same, {"text":"…"} or the original's
//     {"content":"…"}, or the original's {"accounts":[…]} (lines with the
//     key last, or {"api_key","username"|"email"});
//   - multipart/form-data: a "file" part (or else a "text" field), and a
//     "provider" field;
//   - anything else: plain text, one key a line, or ollama.txt lines (a
//     JSON object without a content type, or sent as a form, reads as JSON).
func (s *Service) ParseImport(in Import) (ImportBody, error) {
	if limit := s.cfg.MaxImportBytes; limit > 0 && len(in.Body) > limit {
		return ImportBody{}, refuse(KindTooLarge, "the import body is %d bytes; the limit is %d (MAX_IMPORT_BYTES)", len(in.Body), limit)
	}
	mediaType, params, _ := mime.ParseMediaType(in.ContentType)
	switch mediaType {
	case "application/json":
		return readJSONImport(in.Body)
	case "multipart/form-data":
		return readMultipartImport(params["boundary"], in.Body)
	case "", "application/x-www-form-urlencoded":
		// The original's routes took JSON whatever the header said (curl -d
		// sends this one): an object is read as JSON, anything else as text.
		if trimmed := bytes.TrimSpace(in.Body); len(trimmed) > 0 && trimmed[0] == '{' {
			return readJSONImport(in.Body)
		}
	}
	return ImportBody{Keys: keyimport.Text(string(in.Body))}, nil
}

func readJSONImport(body []byte) (ImportBody, error) {
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
		var elems []json.RawMessage
		if err := json.Unmarshal(trimmed, &elems); err != nil {
			return ImportBody{}, jsonError(body, err)
		}
		return ImportBody{Keys: keyimport.JSON(elems)}, nil
	}
	var in struct {
		Text     *string           `json:"text"`
		Content  *string           `json:"content"`
		Keys     []json.RawMessage `json:"keys"`
		Accounts []json.RawMessage `json:"accounts"`
		Provider string            `json:"provider"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return ImportBody{}, jsonError(body, err)
	}
	switch {
	case in.Keys != nil:
		return ImportBody{Provider: in.Provider, Keys: keyimport.JSON(in.Keys)}, nil
	case in.Accounts != nil:
		return ImportBody{Provider: in.Provider, Keys: keyimport.Accounts(in.Accounts)}, nil
	case in.Text != nil:
		return ImportBody{Provider: in.Provider, Keys: keyimport.Text(*in.Text)}, nil
	case in.Content != nil:
		return ImportBody{Provider: in.Provider, Keys: keyimport.Text(*in.Content)}, nil
	}
	return ImportBody{}, invalid("keys", `the JSON body needs "keys" (an array), "accounts" (an array) or "text" or "content" (keys one a line)`)
}

// readMultipartImport takes the "file" part (or else a "text" field) and
// the "provider" field of a form.
func readMultipartImport(boundary string, body []byte) (ImportBody, error) {
	if boundary == "" {
		return ImportBody{}, invalid("", "multipart body without a boundary")
	}
	var out ImportBody
	var file, text *string
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ImportBody{}, invalid("", "malformed multipart body: %v", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return ImportBody{}, invalid("", "malformed multipart body: %v", err)
		}
		s := string(data)
		switch part.FormName() {
		case "file":
			if file == nil {
				file = &s
			}
		case "text":
			text = &s
		case "provider":
			out.Provider = strings.TrimSpace(s)
		}
	}
	switch {
	case file != nil:
		out.Keys = keyimport.Text(*file)
	case text != nil:
		out.Keys = keyimport.Text(*text)
	default:
		return ImportBody{}, invalid("file", `the form needs a "file" part (keys one a line)`)
	}
	return out, nil
}

// jsonError is an Invalid naming where the JSON parser stopped.
func jsonError(body []byte, err error) error {
	var offset int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	}
	if offset < 0 {
		return invalid("", "malformed JSON: %v", err)
	}
	line, col := position(body, offset)
	return invalid("", "malformed JSON at line %d, column %d (byte %d): %v", line, col, offset, err)
}

// position turns a byte offset into a 1-based line and column.
func position(body []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(body)))
	before := body[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// readImport parses an import and resolves its provider: providerID if
// given, else the one the body named.
func (s *Service) readImport(providerID string, in Import) (*backend.Provider, keyimport.Result, error) {
	body, err := s.ParseImport(in)
	if err != nil {
		return nil, keyimport.Result{}, err
	}
	if providerID == "" {
		providerID = body.Provider
	}
	p, err := s.Provider(providerID)
	return p, body.Keys, err
}

// ImportKeys stores the keys of an import (skipping those stored already),
// makes the pool see them, and reports what it did with each line.
func (s *Service) ImportKeys(ctx context.Context, providerID string, in Import) (ImportReport, error) {
	p, parsed, err := s.readImport(providerID, in)
	if err != nil {
		return ImportReport{}, err
	}
	return s.storeKeys(ctx, p, parsed)
}

// storeKeys inserts parsed keys and reports; jobs call it after their
// request has ended.
func (s *Service) storeKeys(ctx context.Context, p *backend.Provider, parsed keyimport.Result) (ImportReport, error) {
	now := time.Now().UTC()
	rows := make([]models.Key, len(parsed.Items))
	for i, it := range parsed.Items {
		rows[i] = models.Key{APIKey: it.APIKey, Username: it.Username, Status: models.StatusActive,
			CreatedAt: now, ExpiresAt: it.ExpiresAt}
	}
	inserted, err := p.Store.InsertKeys(ctx, rows)
	if err != nil {
		return ImportReport{}, err
	}
	p.Pool.Add(rows) // the new keys, here and on the other instances; nothing read back
	existing := int64(len(rows)) - inserted
	report := ImportReport{Imported: inserted, Duplicates: int64(parsed.Duplicates) + existing,
		Invalid: parsed.Invalid, Skipped: parsed.Skipped, Added: inserted, Existing: existing,
		Total: len(parsed.Items) + len(parsed.Invalid) + parsed.Duplicates}
	s.log.Info("operator: keys imported", "provider", p.Info.ID, "imported", report.Imported,
		"duplicates", report.Duplicates, "invalid", len(report.Invalid))
	return report, nil
}

// DecodeJSON reads a JSON body into v; a malformed one is Invalid, naming
// the line and column where parsing stopped, as every import form reports
// it.
func DecodeJSON(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return jsonError(body, err)
	}
	return nil
}
