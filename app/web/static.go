package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/static"
)

// asset is one embedded file, ready to send.
type asset struct {
	body, gzipped []byte // gzipped is nil when it would not be smaller
	contentType   string
	etag          string // quoted, from the content's hash
	version       string // short content hash, for ?v= in URLs
}

// assets are the files of package static, by name.
type assets struct{ files map[string]*asset }

// loadAssets reads and compresses the embedded files once, at start.
func loadAssets() (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	err := fs.WalkDir(static.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(static.FS, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		v := hex.EncodeToString(sum[:6])
		f := &asset{body: body, contentType: mime.TypeByExtension(path.Ext(name)), etag: `"` + v + `"`, version: v}
		if f.contentType == "" {
			f.contentType = "text/plain; charset=utf-8"
		}
		if strings.HasPrefix(f.contentType, "text/") || strings.Contains(f.contentType, "javascript") || strings.Contains(f.contentType, "svg") {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
			zw.Write(body)
			zw.Close()
			if buf.Len() < len(body) {
				f.gzipped = buf.Bytes()
			}
		}
		a.files[name] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: load static assets: %w", err)
	}
	return a, nil
}

// url is the address of an asset with its content version, cached for a year.
func (a *assets) url(name string) string {
	if f, ok := a.files[name]; ok {
		return "/static/" + name + "?v=" + f.version
	}
	return "/static/" + name
}

// serveStatic answers /static/NAME: a year of caching for versioned URLs
// (?v= the current hash), a day otherwise (ECharts' own script tag has no
// version), 304 for a matching ETag, gzip when the client takes it.
func (h *Handler) serveStatic(c *fiber.Ctx) error {
	f, ok := h.assets.files[c.Params("*")]
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "no such asset")
	}
	if v := c.Query("v"); v != "" && v == f.version {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	}
	c.Set(fiber.HeaderETag, f.etag)
	c.Vary(fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if c.Get(fiber.HeaderIfNoneMatch) == f.etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.contentType)
	if f.gzipped != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(f.gzipped)
	}
	return c.Send(f.body)
}

// redirectFavicon points browsers that ask for /favicon.ico to the SVG.
func (h *Handler) redirectFavicon(c *fiber.Ctx) error {
	return c.Redirect(h.assets.url("favicon.svg"), fiber.StatusMovedPermanently)
}
