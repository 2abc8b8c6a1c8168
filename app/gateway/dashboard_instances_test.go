package gateway_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keypool/keypool/app/testkit/redistest"
	"github.com/keypool/keypool/migrations"
)

// formClient is a client with cookies and no redirects, talking to whichever
// instance each call names, as a formClient behind a load balancer would.
type formClient struct {
	t       *testing.T
	client  *http.Client
	cookies map[string]string
}

func newFormClient(t *testing.T) *formClient {
	return &formClient{t: t, cookies: map[string]string{},
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *formClient) do(method, url string, form url.Values) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp.StatusCode, string(out)
}

// Behind a load balancer without sticky sessions: the sign-in form comes
// from one instance and is posted to the other, the session works on both,
// and signing out on one ends it on the other.
func TestDashboardAcrossInstances(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	e := newTestEnv(t, migrations.Postgres, map[string]string{"REDIS_URL": redistest.URL(t), "DISABLE_OPENROUTER": "true"})
	a := e.url
	b, _ := e.instance(t)
	br := newFormClient(t)

	if status, _ := br.do("GET", a+"/login", nil); status != http.StatusOK {
		t.Fatalf("GET /login on A: %d", status)
	}
	csrf := br.cookies["kp_csrf"]
	if csrf == "" {
		t.Fatal("no CSRF cookie from A")
	}
	if status, body := br.do("POST", b+"/login", url.Values{"token": {adminToken}, "_csrf": {csrf}, "next": {"/dashboard"}}); status != http.StatusSeeOther {
		t.Fatalf("A's sign-in form posted to B: %d %.300s", status, body)
	}
	if br.cookies["kp_session"] == "" {
		t.Fatal("B set no session cookie")
	}
	for _, base := range []string{a, b} {
		if status, _ := br.do("GET", base+"/dashboard/settings", nil); status != http.StatusOK {
			t.Errorf("%s/dashboard/settings with the session: %d", base, status)
		}
	}
	// A form of B's page posted to A.
	if status, body := br.do("POST", a+"/dashboard/settings/providers/ollama", url.Values{"on": {"true"}, "_csrf": {br.cookies["kp_csrf"]}}); status != http.StatusSeeOther {
		t.Errorf("B's form posted to A: %d %.300s", status, body)
	}
	session := br.cookies["kp_session"]
	if status, _ := br.do("POST", b+"/logout", url.Values{"_csrf": {br.cookies["kp_csrf"]}}); status != http.StatusSeeOther {
		t.Fatalf("sign out on B: %d", status)
	}
	br.cookies["kp_session"] = session // a copy of the cookie kept after signing out
	if status, _ := br.do("GET", a+"/dashboard/settings", nil); status != http.StatusSeeOther {
		t.Errorf("A after signing out on B: %d, want 303 to /login", status)
	}
}
