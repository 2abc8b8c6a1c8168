package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/keypool/keypool/migrations"
	"github.com/keypool/keypool/models"
)

// KeyQuery selects the keys of KeyPage and KeyOrder.
type KeyQuery struct {
	Status string // a stored status (active, failed, disabled, expired); "" for all
	// Search matches a substring of the key (case-sensitive) or of the
	// username (case-insensitive; ASCII only on SQLite).
	Search        string
	Sort          string // created_at (default), status, last_used or requests
	Desc          bool
	Limit, Offset int
	// Matching is how many keys match, when the caller counted them
	// first (0: not counted). KeyPage plans a search by it.
	Matching int64
}

// KeyRow is one key with its usage, for the admin listing.
type KeyRow struct {
	models.Key
	TotalRequests int64
	SuccessCount  int64
	FailureCount  int64
	SuccessRate   float64 // percent, 2 decimals; 0 without requests
	LastUsed      *time.Time
}

// keyListSorts maps KeyQuery.Sort to SQL. Each ends with api_key, so that
// pages are stable; created_at and status follow the listing indexes of
// migration 0004 (keys(status, created_at, api_key), keys(created_at, api_key)).
var keyListSorts = map[string][]string{
	"created_at": {"k.created_at", "k.api_key"},
	"status":     {"k.status", "k.created_at", "k.api_key"},
	"last_used":  {"s.last_used", "k.api_key"},
	"requests":   {"COALESCE(s.total_requests, 0)", "k.api_key"},
}

// ValidKeyListSort reports whether KeyPage knows the sort order.
func ValidKeyListSort(sort string) bool {
	_, ok := keyListSorts[sort]
	return ok
}

// keyRowCols are the columns scanKeyRow reads, in order.
const keyRowCols = `k.api_key, COALESCE(k.username, ''), COALESCE(k.status, 'active'), k.created_at, k.expires_at,
	k.failed_until, k.disabled_until, COALESCE(k.consecutive_failures, 0), COALESCE(s.total_requests, 0),
	COALESCE(s.success_count, 0), COALESCE(s.failure_count, 0), s.last_used`

// KeyPage returns one page of the keys matching q. Sorted by the keys'
// own columns, the page is cut from the keys table alone (an index scan,
// however deep the page) before the usage is joined to its rows: joined
// first, PostgreSQL hash-joins and sorts every key for a deep page
// (~200 ms for the last of 100,000 keys, ~25 ms cut first).
func (s *Store) KeyPage(ctx context.Context, q KeyQuery) ([]KeyRow, error) {
	where, args := s.keyWhere(q)
	order, err := keyOrder(q)
	if err != nil {
		return nil, err
	}
	query := `SELECT ` + keyRowCols + s.keyJoin() + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	if q.Sort == "" || q.Sort == "created_at" || q.Sort == "status" {
		query = `SELECT ` + keyRowCols + ` FROM (SELECT k.* FROM ` + s.matching(q, where) + ` ORDER BY ` + order +
			` LIMIT ? OFFSET ?) k LEFT JOIN ` + s.table("key_stats") + ` s ON s.api_key = k.api_key ORDER BY ` + order
	}
	rows := []KeyRow{}
	err = s.scanRows(ctx, func(r *sql.Rows) error { return scanKeyRow(r, &rows) }, query, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("store: key page: %w", err)
	}
	return rows, nil
}

// CountKeys returns how many keys match q's filters. Counting the 90,000
// active keys of 100,000 takes PostgreSQL ~17 ms even from the index; the
// admin API counts from the pool when it can.
func (s *Store) CountKeys(ctx context.Context, q KeyQuery) (int64, error) {
	where, args := s.keyWhere(q)
	var n int64
	if err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) FROM `+s.table("keys")+` k`+where, args...).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count keys: %w", err)
	}
	return n, nil
}

// KeyOrder returns every key matching q in q's order, without paging: for
// filters the database cannot apply (a 429 cooldown lives in memory only).
func (s *Store) KeyOrder(ctx context.Context, q KeyQuery) ([]string, error) {
	where, args := s.keyWhere(q)
	order, err := keyOrder(q)
	if err != nil {
		return nil, err
	}
	keys := []string{}
	err = s.scanRows(ctx, func(r *sql.Rows) error {
		var k string
		err := r.Scan(&k)
		keys = append(keys, k)
		return err
	}, `SELECT k.api_key`+s.keyJoin()+where+` ORDER BY `+order, args...)
	if err != nil {
		return nil, fmt.Errorf("store: key order: %w", err)
	}
	return keys, nil
}

// KeyRows returns the given keys with their usage, in no set order; keys
// not stored are left out.
func (s *Store) KeyRows(ctx context.Context, apiKeys []string) ([]KeyRow, error) {
	rows := []KeyRow{}
	if len(apiKeys) == 0 {
		return rows, nil
	}
	err := s.scanRows(ctx, func(r *sql.Rows) error { return scanKeyRow(r, &rows) },
		`SELECT `+keyRowCols+s.keyJoin()+` WHERE k.api_key IN ?`, apiKeys)
	if err != nil {
		return nil, fmt.Errorf("store: key rows: %w", err)
	}
	return rows, nil
}

// KeyRow returns one key with its usage; ErrNotFound if it is not stored.
func (s *Store) KeyRow(ctx context.Context, apiKey string) (KeyRow, error) {
	rows, err := s.KeyRows(ctx, []string{apiKey})
	if err != nil {
		return KeyRow{}, err
	}
	if len(rows) == 0 {
		return KeyRow{}, ErrNotFound
	}
	return rows[0], nil
}

// fencedSearch is the most matches for which a search's page is cut from
// the matching keys (found through the trigram indexes of migration 0006)
// rather than by walking the keys in order until the page is full: the
// walk is quick when matches are many, but reads every key when they are
// few, or gathered at the far end (~70 ms for 11,000 of 100,000).
const fencedSearch = 20_000

// matching is the FROM clause of the keys matching q: on PostgreSQL, a
// counted search with few enough matches is fenced (OFFSET 0) so that the
// planner finds the matches first and sorts only them.
func (s *Store) matching(q KeyQuery, where string) string {
	if s.dialect == migrations.Postgres && q.Search != "" && q.Matching > 0 && q.Matching <= fencedSearch {
		return `(SELECT k.* FROM ` + s.table("keys") + ` k` + where + ` OFFSET 0) k`
	}
	return s.table("keys") + ` k` + where
}

func (s *Store) keyJoin() string {
	return ` FROM ` + s.table("keys") + ` k LEFT JOIN ` + s.table("key_stats") + ` s ON s.api_key = k.api_key`
}

// keyWhere renders q's filters (column names prefixed k.).
func (s *Store) keyWhere(q KeyQuery) (string, []any) {
	var conds []string
	var args []any
	if q.Status != "" {
		conds, args = append(conds, "k.status = ?"), append(args, q.Status)
	}
	switch {
	case q.Search == "":
	case s.dialect == migrations.SQLite: // instr: no LIKE, so % and _ need no escaping
		conds = append(conds, "(instr(k.api_key, ?) > 0 OR instr(LOWER(COALESCE(k.username, '')), LOWER(?)) > 0)")
		args = append(args, q.Search, q.Search)
	default: // LIKE, which the trigram indexes of migration 0006 serve
		like := "%" + likeEscaper.Replace(q.Search) + "%"
		conds = append(conds, "(k.api_key LIKE ? OR LOWER(COALESCE(k.username, '')) LIKE LOWER(?))")
		args = append(args, like, like)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// likeEscaper makes a search term match itself in a LIKE pattern
// (PostgreSQL's escape character is the backslash).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// keyOrder renders q's ORDER BY; never-used keys count as the oldest.
func keyOrder(q KeyQuery) (string, error) {
	if q.Sort == "" {
		q.Sort = "created_at"
	}
	cols, ok := keyListSorts[q.Sort]
	if !ok {
		return "", fmt.Errorf("store: list keys: unknown sort %q", q.Sort)
	}
	dir := map[bool]string{false: " ASC", true: " DESC"}[q.Desc]
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + dir
		if c == "s.last_used" { // the dialects' default NULL orders differ
			parts[i] += map[bool]string{false: " NULLS FIRST", true: " NULLS LAST"}[q.Desc]
		}
	}
	return strings.Join(parts, ", "), nil
}

// scanKeyRow appends one row of keyRowCols to rows.
func scanKeyRow(r *sql.Rows, rows *[]KeyRow) error {
	var k KeyRow
	var created *time.Time
	err := r.Scan(&k.APIKey, &k.Username, &k.Status, timeInto{&created}, timeInto{&k.ExpiresAt},
		timeInto{&k.FailedUntil}, timeInto{&k.DisabledUntil}, &k.ConsecutiveFailures, &k.TotalRequests,
		&k.SuccessCount, &k.FailureCount, timeInto{&k.LastUsed})
	if err != nil {
		return err
	}
	if created != nil {
		k.CreatedAt = *created
	}
	u := Usage{TotalRequests: k.TotalRequests, SuccessCount: k.SuccessCount}
	u.derive()
	k.SuccessRate = u.SuccessRate
	*rows = append(*rows, k)
	return nil
}
