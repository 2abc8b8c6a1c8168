package admin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/keypool/keypool/app/tokens"
)

// TokenFile is where a generated admin token is kept, inside DATA_DIR.
const TokenFile = "admin_token"

// EnsureToken returns the admin token kept in dataDir, generating and
// storing one (mode 0600) on first start; created says it is new, so the
// caller prints it once.
func EnsureToken(dataDir string) (token string, created bool, err error) {
	path := filepath.Join(dataDir, TokenFile)
	data, err := os.ReadFile(path)
	if err == nil {
		if t := strings.TrimSpace(string(data)); t != "" {
			return t, false, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("admin: read %s: %w", path, err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return "", false, fmt.Errorf("admin: create DATA_DIR: %w", err)
	}
	token = "kp-admin-" + strings.TrimPrefix(tokens.Generate(), "sk-kp-")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("admin: write %s: %w", path, err)
	}
	return token, true, nil
}
