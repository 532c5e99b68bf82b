package console

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seamhq/seam/bridge/internal/flow"
	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/auth"
)

// engine is an in-memory stand-in: held events that a retry resolves,
// and reconciliation passes that start and stay running.
type engine struct {
	mu        sync.Mutex
	failures  []postgres.Failure
	retried   int
	discarded int
	passes    []flow.Report
	activity  []flow.Activity
}

func (e *engine) Activity(n int) []flow.Activity { return e.activity[:min(n, len(e.activity))] }
func (e *engine) LastReconciliation(context.Context) (flow.Report, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.passes) == 0 {
		return flow.Report{}, false, nil
	}
	return e.passes[len(e.passes)-1], true, nil
}
func (e *engine) StartReconcile(_ context.Context, trigger string) (flow.Report, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := flow.Report{ID: int64(len(e.passes) + 1), Trigger: trigger, Start: time.Now()}
	e.passes = append(e.passes, r)
	return r, nil
}

func (e *engine) Status(context.Context) []flow.FeedStatus {
	return []flow.FeedStatus{{Name: "crm", Connected: true, Applied: 42}, {Name: "erp", Connected: true, Applied: 7}}
}
func (e *engine) Leader() bool { return true }
func (e *engine) Failures(_ context.Context, after int64, limit int) ([]postgres.Failure, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []postgres.Failure
	for _, f := range e.failures {
		if f.ID > after && len(out) < limit {
			out = append(out, f)
		}
	}
	return out, nil
}
func (e *engine) RetryFailure(_ context.Context, id int64) (bool, *postgres.Failure, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.retried++
	for i, f := range e.failures {
		if f.ID == id {
			e.failures = append(e.failures[:i], e.failures[i+1:]...)
			return true, nil, nil
		}
	}
	return false, nil, flow.ErrNoFailure
}
func (e *engine) DiscardFailure(_ context.Context, id int64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, f := range e.failures {
		if f.ID == id {
			e.failures = append(e.failures[:i], e.failures[i+1:]...)
			e.discarded++
			return nil
		}
	}
	return flow.ErrNoFailure
}

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium on this machine: make test installs it (deploy/local/ensure-chromium.sh)")
	}
	t.Skip("no Chromium on this machine; make test installs it")
	return ""
}

// TestConsoleRetryInBrowser drives the console in headless Chromium: sign
// in with a token, see the held events, press retry and see one gone,
// discard the other (which asks first), start a reconciliation pass and
// see it running, and read the recent activity.
func TestConsoleRetryInBrowser(t *testing.T) {
	browser := chromium(t)
	secret := []byte("console-test-secret")
	verifier, err := auth.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	eng := &engine{
		failures: []postgres.Failure{{
			ID: 7, Feed: "crm", EventType: "opportunity.won", EventKey: "opp-123", State: postgres.StateFailed,
			Error: "sales_order.lines[0].sku: unknown SKU", Attempts: 3, CreatedAt: time.Now().Add(-time.Minute),
			NextRetryAt: time.Now().Add(time.Minute),
		}, {
			ID: 8, Feed: "erp", EventType: "item.updated", EventKey: "SKU-9", State: postgres.StateFailed,
			Error: "name: too long", Attempts: 1, CreatedAt: time.Now().Add(-time.Minute),
		}},
		activity: []flow.Activity{{
			Time: time.Now(), Feed: "crm", Event: "opportunity.won", Key: "opp-456", Outcome: flow.OutcomeApplied, Took: 3 * time.Millisecond,
		}},
	}
	c := New(eng, verifier, "test", slog.New(slog.DiscardHandler))
	mux := httptestMux(c)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	token, err := auth.Sign(secret, "operator", []auth.Role{auth.Integration}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	// shows waits until the element sel holds text: on the page the
	// action led to, not the page before it. It asks again while the page
	// navigates, which ends any one evaluation.
	shows := func(sel, text string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			expr := fmt.Sprintf("!!document.querySelector(%q)?.textContent.includes(%q)", sel, text)
			for {
				if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
					return chromedp.Void{}, nil
				}
				select {
				case <-ctx.Done():
					return chromedp.Void{}, fmt.Errorf("%s never showed %q: %w", sel, text, ctx.Err())
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	do("sign in",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#failures")),
	)
	if before := text("#failures"); !strings.Contains(before, "opp-123") || !strings.Contains(before, "unknown SKU") {
		t.Errorf("failures table before retry = %q, want the held event", before)
	}
	if act := text("#activity"); !strings.Contains(act, "opp-456") || !strings.Contains(act, "applied") {
		t.Errorf("recent activity = %q, want the applied event", act)
	}
	if rec := text("#reconciliation"); !strings.Contains(rec, "No pass yet") {
		t.Errorf("reconciliation before any pass = %q", rec)
	}

	do("retry", chromedp.Click(chromedp.CSS("#failure-7 button.retry")), shows("#message", "Applied"))
	if after := text("#failures"); strings.Contains(after, "opp-123") || !strings.Contains(after, "SKU-9") {
		t.Errorf("held events after the retry = %q, want only SKU-9", after)
	}
	if message := text("#message"); !strings.Contains(message, "Applied") {
		t.Errorf("message after retry = %q", message)
	}
	if eng.retried != 1 {
		t.Errorf("retries = %d, want 1", eng.retried)
	}

	// Discarding asks first; nothing is discarded until confirmed.
	do("discard", chromedp.Click(chromedp.CSS("#failure-8 button.discard")), chromedp.WaitVisible(chromedp.CSS("#confirm-discard")))
	if confirm := text("#confirm-discard"); !strings.Contains(confirm, "SKU-9") || eng.discarded != 0 {
		t.Errorf("confirmation = %q with %d discarded, want SKU-9 named and none discarded", confirm, eng.discarded)
	}
	do("confirm discard", chromedp.Click(chromedp.CSS("#confirm-discard-button")), shows("#message", "Discarded"))
	if eng.discarded != 1 || !strings.Contains(text("body"), "None.") {
		t.Errorf("%d discarded, want 1 and no held event left", eng.discarded)
	}

	do("reconcile", chromedp.Click(chromedp.CSS("#reconcile")), shows("#message", "is running"))
	if message := text("#message"); !strings.Contains(message, "pass 1 is running") {
		t.Errorf("message after starting a pass = %q", message)
	}
	if rec := text("#reconciliation"); !strings.Contains(rec, "Pass 1 (console)") || !strings.Contains(rec, "running") {
		t.Errorf("reconciliation after starting a pass = %q", rec)
	}
}

// The last pass's report: its checks, its repairs up to a bound per check
// (so that one check's many repairs hide no other check's drift), how
// many more each check has, and whether it finished.
func TestConsoleShowsTheLastReconciliation(t *testing.T) {
	verifier, _ := auth.NewVerifier([]byte("s"))
	start := time.Now().Add(-time.Minute)
	pass := flow.Report{
		ID: 3, Trigger: "periodic", Start: start, End: start.Add(1500 * time.Millisecond),
		Checks: []*flow.CheckCount{
			{Name: flow.CheckWonHasOrder, Checked: 100, Drifted: repairsShown + 45, Repaired: repairsShown + 45, Changed: 7, Unlisted: 40},
			{Name: flow.CheckItemInCatalog, Checked: 10, Drifted: 1},
		},
	}
	for i := range repairsShown + 5 {
		pass.Repairs = append(pass.Repairs, flow.Repair{Check: flow.CheckWonHasOrder, Key: fmt.Sprintf("opp-%d", i), Detail: "no order: repaired"})
	}
	pass.Repairs = append(pass.Repairs, flow.Repair{Check: flow.CheckItemInCatalog, Key: "ORPHAN", Detail: "left for a person: no item", Unresolved: true})
	eng := &engine{passes: []flow.Report{pass}}
	srv := httptest.NewServer(httptestMux(New(eng, verifier, "test", slog.New(slog.DiscardHandler))))
	defer srv.Close()
	tok, _ := auth.Sign([]byte("s"), "ops", []auth.Role{auth.Admin}, time.Hour)
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: tok})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := readAll(t, resp.Body)
	for _, want := range []string{"Pass 3 (periodic)", "finished", "1.5s", flow.CheckWonHasOrder, "<td>100</td>", "changed during the pass", "<td>7</td>",
		fmt.Sprintf("opp-%d<", repairsShown-1),
		`id="more-` + flow.CheckWonHasOrder + `"`, "and 45 more (5 of them listed by <code>GET /v1/reconciliations/3</code>)",
		`<code>ORPHAN</code></td><td class="bad">left for a person: no item`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, fmt.Sprintf("opp-%d<", repairsShown)) {
		t.Errorf("page lists more than %d repairs of a check", repairsShown)
	}
	if strings.Contains(body, `id="more-`+flow.CheckItemInCatalog+`"`) {
		t.Errorf("page says there is more of a check it lists in full")
	}
}

// Without signing in, the console shows nothing and refuses actions.
func TestConsoleNeedsSignIn(t *testing.T) {
	verifier, _ := auth.NewVerifier([]byte("s"))
	eng := &engine{failures: []postgres.Failure{{ID: 1, EventKey: "secret-key", State: postgres.StateFailed}}}
	srv := httptest.NewServer(httptestMux(New(eng, verifier, "test", slog.New(slog.DiscardHandler))))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := readAll(t, resp.Body)
	if strings.Contains(body, "secret-key") || !strings.Contains(body, `name="token"`) {
		t.Errorf("signed-out page shows data or no sign-in form:\n%s", body)
	}
	// The page names its icon, so a browser does not ask for
	// /favicon.ico, which is not served, and log the 404 as an error.
	if !strings.Contains(body, `<link rel="icon" href="data:,">`) {
		t.Errorf("console page names no icon:\n%s", body)
	}
	// A signed-out action does nothing and goes back to the sign-in form,
	// saying why.
	noRedirect := *srv.Client()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	type answer struct {
		status            int
		location, message string
		cookies           []*http.Cookie
	}
	post := func(path string, form url.Values, header map[string]string) answer {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		a := answer{status: resp.StatusCode, location: resp.Header.Get("Location")}
		for _, ck := range resp.Cookies() {
			if ck.Name == messageCookie {
				a.message, _ = url.QueryUnescape(ck.Value)
			} else {
				a.cookies = append(a.cookies, ck)
			}
		}
		return a
	}
	if a := post("/console/failures/1/retry", nil, nil); a.status != http.StatusSeeOther || a.location != "/" || !strings.Contains(a.message, "Sign in first") || eng.retried != 0 {
		t.Errorf("signed-out retry = %d to %q saying %q with %d retries, want a redirect to sign in and none", a.status, a.location, a.message, eng.retried)
	}
	// An expired token is told apart from a wrong one.
	expired, _ := auth.Sign([]byte("s"), "ops", []auth.Role{auth.Admin}, -time.Hour)
	if msg := post("/console/login", url.Values{"token": {expired}}, nil).message; !strings.Contains(msg, "expired") {
		t.Errorf("sign-in with an expired token says %q", msg)
	}
	// The page shows only messages its own actions left, not text from a
	// link.
	resp, err = srv.Client().Get(srv.URL + "/?msg=Paste+your+token+at+evil.example")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body := readAll(t, resp.Body); strings.Contains(body, "evil.example") {
		t.Errorf("the page shows a message from its URL")
	}
	// Another site (or another port of this host) cannot sign in or press a button.
	good, _ := auth.Sign([]byte("s"), "ops", []auth.Role{auth.Admin}, time.Hour)
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.example"}} {
		if a := post("/console/login", url.Values{"token": {good}}, h); a.status != http.StatusForbidden || len(a.cookies) != 0 {
			t.Errorf("cross-origin sign-in (%v) = %d, cookies %v", h, a.status, a.cookies)
		}
	}
	if a := post("/console/login", url.Values{"token": {good}}, map[string]string{"Sec-Fetch-Site": "same-origin"}); len(a.cookies) != 1 {
		t.Errorf("same-origin sign-in = %d, cookies %v", a.status, a.cookies)
	}
	// A form of megabytes is refused before it is read, valid token or
	// not: anyone who reaches the port may send one.
	huge := url.Values{"pad": {strings.Repeat("a", 2<<20)}, "token": {good}}
	if a := post("/console/login", huge, nil); a.status != http.StatusRequestEntityTooLarge || len(a.cookies) != 0 {
		t.Errorf("sign-in with a 2 MiB form = %d, cookies %v; want 413 and none", a.status, a.cookies)
	}
}

// More held events than a page lists are paged through, oldest first.
func TestConsolePagesFailures(t *testing.T) {
	verifier, _ := auth.NewVerifier([]byte("s"))
	eng := &engine{}
	for id := int64(1); id <= 450; id++ {
		eng.failures = append(eng.failures, postgres.Failure{ID: id, EventKey: fmt.Sprintf("key-%d", id), State: postgres.StateWaiting})
	}
	srv := httptest.NewServer(httptestMux(New(eng, verifier, "test", slog.New(slog.DiscardHandler))))
	defer srv.Close()
	tok, _ := auth.Sign([]byte("s"), "ops", []auth.Role{auth.Admin}, time.Hour)
	get := func(path string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: cookieName, Value: tok})
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return readAll(t, resp.Body)
	}
	for _, tc := range []struct {
		path        string
		first, last int
		next        string
	}{
		{"/", 1, 200, `href="/?after=200"`},
		{"/?after=200", 201, 400, `href="/?after=400"`},
		{"/?after=400", 401, 450, ""},
	} {
		body := get(tc.path)
		if !strings.Contains(body, fmt.Sprintf(`id="failure-%d"`, tc.first)) || !strings.Contains(body, fmt.Sprintf(`id="failure-%d"`, tc.last)) ||
			strings.Contains(body, fmt.Sprintf(`id="failure-%d"`, tc.last+1)) || strings.Contains(body, fmt.Sprintf(`id="failure-%d"`, tc.first-1)) {
			t.Errorf("%s does not list exactly %d to %d", tc.path, tc.first, tc.last)
		}
		if hasNext := strings.Contains(body, `id="next-page"`); hasNext != (tc.next != "") || (hasNext && !strings.Contains(body, tc.next)) {
			t.Errorf("%s: next-page link wrong (want %q)", tc.path, tc.next)
		}
	}
}
