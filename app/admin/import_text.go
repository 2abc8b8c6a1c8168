package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/keyimport"
)

// importBody is what an import request carries, whatever its form: a text
// of one key a line, or the elements of a JSON "keys" array.
type importBody struct {
	Provider string            // from the JSON body or a multipart field; ?provider= wins
	Text     string            // text form (text/plain, {"text"}, a multipart file)
	Keys     []json.RawMessage // JSON form ({"keys":[…]})
	JSONKeys bool              // Keys is the input, not Text
}

// parse reads the keys of the body.
func (b importBody) parse() keyimport.Result {
	if b.JSONKeys {
		return keyimport.JSON(b.Keys)
	}
	return keyimport.Text(b.Text)
}

// importFromText is POST /admin/api-keys/import-from-txt: keys one a line
// (or ollama.txt lines), sent as text/plain, JSON {"text"} or a multipart
// file field "file". It answers the import report.
func (h *Handler) importFromText(c *fiber.Ctx) error {
	in, p, err := h.readImport(c)
	if err != nil {
		return err
	}
	report, err := h.store(c, p, in.parse())
	if err != nil {
		return err
	}
	return c.JSON(report)
}

// readImport checks the size of an import request, reads its body and
// resolves its provider.
func (h *Handler) readImport(c *fiber.Ctx) (importBody, *Provider, error) {
	raw := c.Request().Body()
	if h.cfg.MaxImportBytes > 0 && len(raw) > h.cfg.MaxImportBytes {
		return importBody{}, nil, errorf(fiber.StatusRequestEntityTooLarge,
			"the import body is %d bytes; the limit is %d (MAX_IMPORT_BYTES)", len(raw), h.cfg.MaxImportBytes)
	}
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		return importBody{}, nil, errorf(fiber.StatusUnsupportedMediaType, "compressed import bodies (%s) are not accepted", enc)
	}
	in, err := readImportBody(c.Get(fiber.HeaderContentType), raw)
	if err != nil {
		return importBody{}, nil, err
	}
	p, err := h.provider(firstNonEmpty(c.Query("provider"), in.Provider))
	return in, p, err
}

// readImportBody reads an import body by its content type: JSON
// ({"text"} or {"keys"}), multipart/form-data (a "file" part, or a "text"
// field), anything else as plain text.
func readImportBody(contentType string, body []byte) (importBody, error) {
	mediaType, params, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case fiber.MIMEApplicationJSON:
		return readJSONImport(body)
	case fiber.MIMEMultipartForm:
		return readMultipartImport(params["boundary"], body)
	}
	return importBody{Text: string(body)}, nil
}

func readJSONImport(body []byte) (importBody, error) {
	var in struct {
		Text     *string           `json:"text"`
		Keys     []json.RawMessage `json:"keys"`
		Provider string            `json:"provider"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return importBody{}, jsonError(body, err)
	}
	switch {
	case in.Keys != nil:
		return importBody{Provider: in.Provider, Keys: in.Keys, JSONKeys: true}, nil
	case in.Text != nil:
		return importBody{Provider: in.Provider, Text: *in.Text}, nil
	}
	return importBody{}, errorf(fiber.StatusBadRequest, `the JSON body needs "text" (keys one a line) or "keys" (an array)`)
}

// readMultipartImport takes the "file" part (or else a "text" field) and
// the "provider" field of a form.
func readMultipartImport(boundary string, body []byte) (importBody, error) {
	if boundary == "" {
		return importBody{}, errorf(fiber.StatusBadRequest, "multipart body without a boundary")
	}
	var in importBody
	var file, text *string
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return importBody{}, errorf(fiber.StatusBadRequest, "malformed multipart body: %v", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return importBody{}, errorf(fiber.StatusBadRequest, "malformed multipart body: %v", err)
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
			in.Provider = strings.TrimSpace(s)
		}
	}
	switch {
	case file != nil:
		in.Text = *file
	case text != nil:
		in.Text = *text
	default:
		return importBody{}, errorf(fiber.StatusBadRequest, `the form needs a "file" part (keys one a line)`)
	}
	return in, nil
}

// jsonError is a 400 naming where the JSON parser stopped.
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
		return errorf(fiber.StatusBadRequest, "malformed JSON: %v", err)
	}
	line, col := position(body, offset)
	return errorf(fiber.StatusBadRequest, "malformed JSON at line %d, column %d (byte %d): %v", line, col, offset, err)
}

// position turns a byte offset into a 1-based line and column.
func position(body []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(body)))
	before := body[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
