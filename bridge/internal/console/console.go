// Package console serves the bridge's operator page: feeds and lag, held
// events with retry and discard buttons, this replica's recent activity
// and the last reconciliation pass, with a button to run one. It is
// server-rendered HTML with no external assets. Operators sign in with a bearer token of the admin or
// integration role, kept in an HttpOnly, SameSite=Strict cookie.
package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seamhq/seam/bridge/internal/flow"
	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/auth"
)

// Engine is what the console shows and acts on.
type Engine interface {
	Status(ctx context.Context) []flow.FeedStatus
	Leader() bool
	Failures(ctx context.Context, afterID int64, limit int) ([]postgres.Failure, error)
	RetryFailure(ctx context.Context, id int64) (bool, *postgres.Failure, error)
	DiscardFailure(ctx context.Context, id int64) error
	Activity(n int) []flow.Activity
	LastReconciliation(ctx context.Context) (flow.Report, bool, error)
	StartReconcile(ctx context.Context, trigger string) (flow.Report, error)
}

const cookieName = "seam_console"

// Console is the operator page.
type Console struct {
	engine   Engine
	verifier *auth.Verifier
	instance string
	log      *slog.Logger
}

// New returns the console.
func New(engine Engine, verifier *auth.Verifier, instance string, log *slog.Logger) *Console {
	return &Console{engine: engine, verifier: verifier, instance: instance, log: log}
}

// Routes are the console's HTTP routes, by mux pattern.
//
// The forms are protected against cross-site requests twice: the cookie
// is SameSite=Strict, and a POST a browser marks as coming from another
// origin (Sec-Fetch-Site, else Origin against Host) is refused, so
// another site, or another port of the same host, cannot sign an
// operator in or press a button for them.
func (c *Console) Routes() map[string]http.Handler {
	csrf := http.NewCrossOriginProtection()
	post := func(h http.Handler) http.Handler { return limitForm(csrf.Handler(h)) }
	return map[string]http.Handler{
		"GET /{$}":                            http.HandlerFunc(c.page),
		"POST /console/login":                 post(http.HandlerFunc(c.login)),
		"POST /console/logout":                post(http.HandlerFunc(c.logout)),
		"POST /console/failures/{id}/retry":   post(c.signedIn(c.retry)),
		"POST /console/failures/{id}/discard": post(c.signedIn(c.discard)),
		"POST /console/reconcile":             post(c.signedIn(c.reconcile)),
	}
}

// maxFormBytes bounds the body of the console's forms: the largest is
// the sign-in form, a token of a few hundred bytes. Without a bound,
// net/http reads a form of up to 10 MB into memory, and the sign-in form
// takes one from anyone who reaches the port.
const maxFormBytes = 64 << 10

// limitForm refuses a form body over maxFormBytes (413) and cuts one
// without a length there as it is read.
func limitForm(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxFormBytes {
			http.Error(w, fmt.Sprintf("form larger than %d bytes", maxFormBytes), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		next.ServeHTTP(w, r)
	})
}

func (c *Console) operator(r *http.Request) (auth.Principal, bool) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return auth.Principal{}, false
	}
	p, err := c.verifier.Verify(ck.Value)
	if err != nil || !(p.Has(auth.Admin) || p.Has(auth.Integration)) {
		return auth.Principal{}, false
	}
	return p, true
}

// signedIn runs next for an operator; anyone else is sent back to the
// page, which asks them to sign in (again, when their token expired).
func (c *Console) signedIn(next func(http.ResponseWriter, *http.Request, auth.Principal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := c.operator(r)
		if !ok {
			redirect(w, r, "Sign in first: the console's session has ended or its token expired. Nothing was done.")
			return
		}
		// The engine names the operator in what it logs of the action.
		next(w, r.WithContext(auth.WithPrincipal(r.Context(), p)), p)
	})
}

// tokenProblem says why a token cannot sign in to the console, or "".
func tokenProblem(p auth.Principal, err error) string {
	switch {
	case auth.Expired(err):
		return "That token has expired; make a new one."
	case err != nil:
		return "That is not a token of this deployment."
	case !(p.Has(auth.Admin) || p.Has(auth.Integration)):
		return "That token is valid, but the console needs the admin or integration role."
	}
	return ""
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.PostFormValue("token"))
	p, err := c.verifier.Verify(token)
	if msg := tokenProblem(p, err); msg != "" {
		redirect(w, r, msg)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil,
	})
	c.log.Info("console sign-in", "subject", p.Subject)
	redirect(w, r, "")
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	redirect(w, r, "")
}

func (c *Console) retry(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	resolved, head, err := c.engine.RetryFailure(r.Context(), id)
	c.log.Info("console retry", "subject", p.Subject, "failure", id, "resolved", resolved, "err", err)
	switch {
	case errors.Is(err, flow.ErrNoFailure):
		redirect(w, r, "That failure is gone already.")
	case err != nil:
		redirect(w, r, "Retry could not run: "+err.Error())
	case resolved:
		redirect(w, r, "Applied; the key flows again.")
	default:
		redirect(w, r, "Still failing: "+head.Error)
	}
}

func (c *Console) discard(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	err = c.engine.DiscardFailure(r.Context(), id)
	c.log.Warn("console discard", "subject", p.Subject, "failure", id, "err", err)
	switch {
	case errors.Is(err, flow.ErrNoFailure):
		redirect(w, r, "That failure is gone already.")
	case err != nil:
		redirect(w, r, "Discard could not run: "+err.Error())
	default:
		redirect(w, r, "Discarded.")
	}
}

func (c *Console) reconcile(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	rep, err := c.engine.StartReconcile(r.Context(), "console")
	c.log.Info("console reconciliation", "subject", p.Subject, "id", rep.ID, "err", err)
	if err != nil {
		redirect(w, r, "Reconciliation could not start: "+err.Error())
		return
	}
	redirect(w, r, fmt.Sprintf("Reconciliation pass %d is running (started %s); refresh to see its report.",
		rep.ID, rep.Start.Format("15:04:05 UTC")))
}

// redirect sends the browser back to the page, which shows msg once. The
// message travels in a short-lived cookie of this origin, not in the URL,
// so no link from elsewhere can put words in the console's mouth.
func redirect(w http.ResponseWriter, r *http.Request, msg string) {
	if msg != "" {
		http.SetCookie(w, &http.Cookie{
			Name: messageCookie, Value: url.QueryEscape(msg), Path: "/", MaxAge: 60, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
		})
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// messageCookie carries the outcome of an action to the page it
// redirects to.
const messageCookie = "seam_console_message"

// takeMessage returns the message redirect left, and clears it.
func takeMessage(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(messageCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: messageCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	msg, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return ""
	}
	return msg
}

type page struct {
	Instance string
	SignedIn bool
	Subject  string
	Leader   bool
	Feeds    []flow.FeedStatus
	Failures []postgres.Failure
	// After is the id the list starts after (0: the oldest); Next the
	// one to start the next page after, 0 when this is the last.
	After, Next int64
	// Confirm is the held event whose discard awaits confirmation.
	Confirm        *postgres.Failure
	Activity       []flow.Activity
	Reconciliation *flow.Report
	// Repairs are the last pass's repairs the page lists, by check.
	Repairs []checkRepairs
	Error   string
	Message string
	Now     time.Time
}

func (c *Console) page(w http.ResponseWriter, r *http.Request) {
	data := page{Instance: c.instance, Now: time.Now().UTC(), Message: takeMessage(w, r)}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; form-action 'self'")
	w.Header().Set("X-Frame-Options", "DENY")
	if p, ok := c.operator(r); ok {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		data.SignedIn, data.Subject = true, p.Subject
		data.Leader = c.engine.Leader()
		data.Feeds = c.engine.Status(ctx)
		data.After, _ = strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		held, err := c.engine.Failures(ctx, max(data.After, 0), failuresPerPage+1)
		if err != nil {
			data.Error = err.Error()
		}
		if len(held) > failuresPerPage {
			held = held[:failuresPerPage]
			data.Next = held[len(held)-1].ID
		}
		data.Failures = held
		if id, err := strconv.ParseInt(r.URL.Query().Get("discard"), 10, 64); err == nil {
			if f, err := c.engine.Failures(ctx, id-1, 1); err == nil && len(f) == 1 && f[0].ID == id {
				data.Confirm = &f[0]
			} else if err == nil {
				data.Message = "That held event is gone already."
			}
		}
		data.Activity = c.engine.Activity(activityShown)
		rep, ok, err := c.engine.LastReconciliation(ctx)
		switch {
		case err != nil:
			data.Error = strings.TrimPrefix(data.Error+"; ", "; ") + "last reconciliation: " + err.Error()
		case ok:
			data.Reconciliation = &rep
			data.Repairs = repairsByCheck(rep)
		}
	}
	if err := tmpl.Execute(w, data); err != nil {
		c.log.Warn("render console", "err", err)
	}
}

// How much the page lists: held events per page, recent activities, and
// repairs of each check of the last reconciliation (the API has every
// one the report lists).
const (
	failuresPerPage = 200
	activityShown   = 50
	repairsShown    = 20
)

// checkRepairs is what the page lists of one check's repairs: the first
// repairsShown the report lists (its unresolved drift first), and how
// many more there are, More in all and Listed of them in the report.
type checkRepairs struct {
	Check        string
	Shown        []flow.Repair
	More, Listed int64
}

// repairsByCheck groups a report's listed repairs by check, in the order
// of its checks, and counts what the page and the report leave out.
func repairsByCheck(r flow.Report) []checkRepairs {
	var out []checkRepairs
	at := map[string]int{}
	group := func(check string) *checkRepairs {
		i, ok := at[check]
		if !ok {
			i = len(out)
			at[check] = i
			out = append(out, checkRepairs{Check: check})
		}
		return &out[i]
	}
	for _, c := range r.Checks {
		if c.Unlisted > 0 {
			group(c.Name).More = c.Unlisted
		}
	}
	for _, rep := range r.Repairs {
		g := group(rep.Check)
		if len(g.Shown) < repairsShown {
			g.Shown = append(g.Shown, rep)
		} else {
			g.More++
			g.Listed++
		}
	}
	return slices.DeleteFunc(out, func(g checkRepairs) bool { return len(g.Shown) == 0 && g.More == 0 })
}

// tmpl is the console page. Its icon is empty and inline: without one a
// browser asks for /favicon.ico, gets a 404 and logs it as an error.
var tmpl = template.Must(template.New("console").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
	"took": func(d time.Duration) string {
		switch {
		case d <= 0:
			return ""
		case d < time.Second:
			return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
		}
		return d.Round(100 * time.Millisecond).String()
	},
	"in": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		d := time.Until(t).Round(time.Second)
		if d <= 0 {
			return "due"
		}
		return "in " + d.String()
	},
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Bridge console</title>
<link rel="icon" href="data:,">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 2rem; }
th, td { border-bottom: 1px solid #ddd; padding: .4rem .8rem; text-align: left; vertical-align: top; }
.ok { color: #17803d; } .bad { color: #b42318; } .msg { background: #eef4ff; padding: .5rem 1rem; }
form.inline { display: inline; }
.confirm { border: 2px solid #b42318; padding: .5rem 1rem; margin-bottom: 1rem; }
code { font-size: 12px; }
</style>
</head>
<body>
<h1>Bridge console</h1>
{{if .Message}}<p class="msg" id="message">{{.Message}}</p>{{end}}
{{with .Confirm}}<div class="confirm" id="confirm-discard">
<p>Discard held event {{.ID}} ({{.EventType}} of <code>{{.EventKey}}</code>) for good? It will never be applied;
the events of its key that wait behind it are applied next.</p>
<form class="inline" method="post" action="/console/failures/{{.ID}}/discard"><button type="submit" id="confirm-discard-button">Discard for good</button></form>
<a href="/" id="cancel-discard">Cancel</a>
</div>{{end}}
{{if not .SignedIn}}
<form method="post" action="/console/login">
<p>Sign in with a bearer token of the admin or integration role (for the local stack: <code>make token</code>).</p>
<input type="password" name="token" id="token" size="60" autocomplete="off" required>
<button type="submit" id="signin">Sign in</button>
</form>
{{else}}
<p>Instance <code>{{.Instance}}</code>:
{{if .Leader}}<strong class="ok">active (holds the lease)</strong>{{else}}<strong>standby</strong>{{end}}
&middot; {{.Now.Format "2006-01-02 15:04:05 UTC"}} &middot; signed in as {{.Subject}}
<form class="inline" method="post" action="/console/logout"><button type="submit">Sign out</button></form>
&middot; <a href="/">refresh</a></p>
<h2>Feeds</h2>
<table id="feeds">
<tr><th>feed</th><th>connected</th><th>lag (events)</th><th>lag (s)</th><th>applied</th><th>coalesced</th><th>failed attempts</th><th>last event</th><th>last error</th></tr>
{{range .Feeds}}<tr>
<td>{{.Name}}</td>
<td>{{if .Connected}}<span class="ok">yes</span>{{else}}<span class="bad">no</span>{{end}}</td>
<td>{{.LagEvents}}</td><td>{{printf "%.1f" .LagSeconds}}</td><td>{{.Applied}}</td><td>{{.Coalesced}}</td><td>{{.Failed}}</td>
<td>{{ago .LastEventTime}}</td><td class="bad">{{.LastError}}</td>
</tr>{{end}}
</table>
<h2>Held events</h2>
{{if .Error}}<p class="bad">{{.Error}}</p>{{end}}
{{if .Failures}}<table id="failures">
<tr><th>id</th><th>feed</th><th>event</th><th>key</th><th>state</th><th>error</th><th>attempts</th><th>next retry</th><th>held since</th><th></th></tr>
{{range .Failures}}<tr id="failure-{{.ID}}"><td>{{.ID}}</td><td>{{.Feed}}</td><td>{{.EventType}}</td><td><code>{{.EventKey}}</code></td>
<td>{{.State}}</td><td class="bad">{{.Error}}</td><td>{{.Attempts}}</td><td>{{in .NextRetryAt}}</td><td>{{ago .CreatedAt}}</td>
<td>{{if eq .State "failed"}}<form class="inline" method="post" action="/console/failures/{{.ID}}/retry"><button type="submit" class="retry">Retry</button></form>{{end}}
<form class="inline" method="get" action="/"><input type="hidden" name="discard" value="{{.ID}}"><button type="submit" class="discard">Discard&hellip;</button></form></td>
</tr>{{end}}
</table>
<p>{{if .After}}<a href="/" id="first-page">first page</a> {{end}}{{if .Next}}<a href="/?after={{.Next}}" id="next-page">next {{len .Failures}}</a>{{end}}</p>
{{else if .After}}<p id="no-failures">No more. <a href="/" id="first-page">first page</a></p>{{else}}<p id="no-failures">None.</p>{{end}}
<h2>Reconciliation</h2>
<form method="post" action="/console/reconcile"><button type="submit" id="reconcile">Run a pass now</button>
(it compares both sides and repairs drift; it also runs periodically)</form>
{{with .Reconciliation}}<p id="reconciliation">Pass {{.ID}} ({{.Trigger}}), started {{ago .Start}}:
{{if .Running}}<strong>running</strong>{{else if .Error}}<strong class="bad">did not finish</strong> after {{took (.End.Sub .Start)}}: <span class="bad">{{.Error}}</span>{{else}}<strong class="ok">finished</strong> in {{took (.End.Sub .Start)}}{{end}}</p>
{{if .Checks}}<table id="checks">
<tr><th>check</th><th>checked</th><th>drifted</th><th>repaired</th><th>changed during the pass</th></tr>
{{range .Checks}}<tr><td>{{.Name}}</td><td>{{.Checked}}</td><td{{if gt .Drifted .Repaired}} class="bad"{{end}}>{{.Drifted}}</td><td>{{.Repaired}}</td><td>{{.Changed}}</td></tr>{{end}}
</table>{{end}}
{{if $.Repairs}}{{$id := .ID}}<table id="repairs">
<tr><th>check</th><th>key</th><th>what</th></tr>
{{range $.Repairs}}{{range .Shown}}<tr><td>{{.Check}}</td><td><code>{{.Key}}</code></td><td{{if .Unresolved}} class="bad"{{end}}>{{.Detail}}</td></tr>
{{end}}{{if .More}}<tr class="more" id="more-{{.Check}}"><td>{{.Check}}</td><td></td><td>and {{.More}} more{{if .Listed}} ({{.Listed}} of them listed by <code>GET /v1/reconciliations/{{$id}}</code>){{end}}</td></tr>
{{end}}{{end}}</table>{{end}}
{{else}}<p id="reconciliation">No pass yet.</p>{{end}}
<h2>Recent activity</h2>
{{if .Activity}}<table id="activity">
<tr><th>when</th><th>feed</th><th>event</th><th>key</th><th>outcome</th><th>took</th></tr>
{{range .Activity}}<tr><td>{{ago .Time}}</td><td>{{.Feed}}</td><td>{{.Event}}</td><td><code>{{.Key}}</code></td>
<td{{if .Error}} class="bad"{{end}}>{{.Outcome}}{{if .Error}}: {{.Error}}{{end}}</td><td>{{took .Took}}</td></tr>{{end}}
</table>{{else}}<p id="activity">Nothing yet on this replica{{if not .Leader}} (a standby applies nothing){{end}}.</p>{{end}}
{{end}}
</body>
</html>
`))
