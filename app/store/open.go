package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/keypool/keypool/migrations"
)

// DB is an open database: GORM for queries, the *sql.DB underneath for
// migrations and pool settings, and which dialect it speaks.
type DB struct {
	Gorm    *gorm.DB
	SQL     *sql.DB
	Dialect string // migrations.Postgres | migrations.SQLite
	// Where is a description of the database safe to log (no password).
	Where string
	// PgBouncer is set for a ?pgbouncer=true URL: transaction pooling, so
	// no prepared statements and no session state between transactions.
	PgBouncer bool

	pgConfig *pgx.ConnConfig // PostgreSQL only: for the LISTEN connection
}

// Open connects to databaseURL: empty → the SQLite file keypool.db in
// dataDir (created if missing); postgres:// or postgresql:// → PostgreSQL;
// sqlite:PATH → that SQLite file.
func Open(ctx context.Context, databaseURL, dataDir string) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch {
	case databaseURL == "":
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("store: create DATA_DIR: %w", err)
		}
		db, err = openSQLite(filepath.Join(dataDir, "keypool.db"))
	case strings.HasPrefix(databaseURL, "sqlite:"):
		db, err = openSQLite(strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "//"))
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		db, err = openPostgres(databaseURL)
	default:
		return nil, fmt.Errorf("store: DATABASE_URL must start with postgres://, postgresql:// or sqlite: (or be empty for the embedded SQLite file)")
	}
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.SQL.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", db.Where, err)
	}
	return db, nil
}

// Close closes the connection pool.
func (db *DB) Close() error { return db.SQL.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }

// gormConfig returns a new GORM configuration for each Open: gorm.Open
// keeps the *gorm.Config it is given and stores the connection pool and
// dialector in it, so a shared one would make every DB use the last pool.
func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

func openSQLite(path string) (*DB, error) {
	// The file holds every upstream key in the clear: readable by its owner
	// only, as the admin token is. SQLite gives the -wal and -shm files the
	// database file's mode.
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("store: create sqlite %s: %w", path, err)
	}
	// One connection: SQLite has one writer, and a single connection turns
	// lock contention into queueing instead of "database is locked" errors.
	// The path is escaped where a file: URI would read it as its query
	// (?), its fragment (#) or an escape (%): a data directory named
	// "data#1" must hold the database, not leave it in "data".
	uriPath := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	dsn := "file:" + uriPath + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
	g, err := gorm.Open(sqlite.Open(dsn), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("store: sqlite handle: %w", err)
	}
	sqlDB.SetMaxOpenConns(1)
	return &DB{Gorm: g, SQL: sqlDB, Dialect: migrations.SQLite, Where: "sqlite " + path}, nil
}

// createPrivate creates an empty file of mode 0600 at path, unless one is
// there already (or path is SQLite's in-memory database).
func createPrivate(path string) error {
	if path == ":memory:" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

func openPostgres(rawURL string) (*DB, error) {
	cleaned, pgbouncer, err := stripPgbouncer(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(cleaned)
	if err != nil {
		return nil, fmt.Errorf("store: parse DATABASE_URL: %w", err)
	}
	if pgbouncer {
		// PgBouncer in transaction mode hands each transaction to any server
		// connection, so a statement prepared on one is unknown on the next:
		// send every query with the simple protocol and prepare nothing.
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(10)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB, PreferSimpleProtocol: pgbouncer}), gormConfig())
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	where := fmt.Sprintf("postgres %s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	if pgbouncer {
		where += " (pgbouncer)"
	}
	return &DB{Gorm: g, SQL: sqlDB, Dialect: migrations.Postgres, Where: where, PgBouncer: pgbouncer, pgConfig: cfg}, nil
}

// stripPgbouncer removes the pgbouncer query parameter (Prisma's and
// Supabase's convention, unknown to PostgreSQL) and reports whether it was
// true.
func stripPgbouncer(rawURL string) (string, bool, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", false, fmt.Errorf("store: parse DATABASE_URL: %v", redact(err))
	}
	q := u.Query()
	v := strings.ToLower(q.Get("pgbouncer"))
	if !q.Has("pgbouncer") {
		return rawURL, false, nil
	}
	q.Del("pgbouncer")
	u.RawQuery = q.Encode()
	return u.String(), v == "true" || v == "1", nil
}

// redact drops the URL from a url.Error so that a password never reaches a log.
func redact(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// Migrate applies the pending migrations of the given table prefixes. On
// PostgreSQL (not through PgBouncer) a session lock makes instances that
// start together migrate one at a time.
func (db *DB) Migrate(ctx context.Context, prefixes []string) ([]string, error) {
	var opts []migrations.Option
	if db.Dialect == migrations.Postgres && !db.PgBouncer {
		opts = append(opts, migrations.WithLock())
	}
	return migrations.Up(ctx, db.SQL, db.Dialect, prefixes, opts...)
}
