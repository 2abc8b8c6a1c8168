package store_test

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// pgbouncerBinary is Debian's PgBouncer, used when PGBOUNCER_PATH is unset;
// PATH is searched when it is absent.
const pgbouncerBinary = "/usr/sbin/pgbouncer"

// findPgBouncer returns the pgbouncer binary (PGBOUNCER_PATH, else Debian's,
// else PATH's), skipping the test when there is none (failing it in CI).
func findPgBouncer(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PGBOUNCER_PATH")
	if path == "" {
		path = pgbouncerBinary
		if _, err := os.Stat(path); err != nil {
			if p, err := exec.LookPath("pgbouncer"); err == nil {
				path = p
			}
		}
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgbouncer not found at %s (PGBOUNCER_PATH): CI must run the PgBouncer tests", path)
		}
		t.Skipf("pgbouncer not found at %s (set PGBOUNCER_PATH): PgBouncer tests skipped", path)
	}
	return path
}

// startPgBouncer runs a PgBouncer in transaction mode in front of the
// server of upstream (a PostgreSQL URL) and returns its host:port. It is
// stopped when the test ends.
func startPgBouncer(t *testing.T, bin string, upstream *url.URL) string {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	upstreamPort := upstream.Port()
	if upstreamPort == "" {
		upstreamPort = "5432"
	}
	user := upstream.User.Username()
	password, _ := upstream.User.Password()
	var extra string
	if atLeast(t, bin, 1, 21) {
		// Since 1.21 PgBouncer can track prepared statements itself, which
		// would hide the bug this test is for: keep that off.
		extra = "max_prepared_statements = 0\n"
	}
	// A small server pool under many clients makes every client hop between
	// server connections, so a prepared statement is soon missing or
	// duplicated.
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = 3
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
%s`, upstream.Hostname(), upstreamPort, port, filepath.Join(dir, "users.txt"), extra)
	writeFile(t, filepath.Join(dir, "users.txt"), fmt.Sprintf("%q %q\n", user, password))
	writeFile(t, filepath.Join(dir, "pgbouncer.ini"), ini)

	logFile, err := os.Create(filepath.Join(dir, "pgbouncer.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	args := []string{bin, filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		// PgBouncer refuses to run as root.
		args = append([]string{"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"}, args...)
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			out, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Logf("pgbouncer log:\n%s", out)
		}
	})

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return addr
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("pgbouncer exited at start: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer not listening on %s: %v", addr, err)
		}
	}
}

// atLeast reports whether `bin --version` is at least major.minor.
func atLeast(t *testing.T, bin string, major, minor int) bool {
	t.Helper()
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("pgbouncer --version: %v", err)
	}
	m := regexp.MustCompile(`PgBouncer (\d+)\.(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pgbouncer --version: unexpected %q", out)
	}
	gotMajor, _ := strconv.Atoi(string(m[1]))
	gotMinor, _ := strconv.Atoi(string(m[2]))
	return gotMajor > major || gotMajor == major && gotMinor >= minor
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeFile writes a file readable by the user PgBouncer runs as.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
