// Package console serves the bridge's operator page: feeds, lag, and the
// events that failed.
package console

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/seamhq/seam/bridge/internal/flow"
	"github.com/seamhq/seam/bridge/internal/postgres"
)

// Source is what the page shows.
type Source interface {
	Status(ctx context.Context) []flow.FeedStatus
	Leader() bool
}

// Failures lists parked failures.
type Failures interface {
	Failures(ctx context.Context, limit int) ([]postgres.Failure, error)
}

// Handler renders the console.
func Handler(src Source, failures Failures, instance string, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		data := page{Instance: instance, Leader: src.Leader(), Feeds: src.Status(ctx), Now: time.Now().UTC()}
		var err error
		if data.Failures, err = failures.Failures(ctx, 50); err != nil {
			data.Error = err.Error()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'")
		if err := tmpl.Execute(w, data); err != nil {
			log.Warn("render console", "err", err)
		}
	})
}

type page struct {
	Instance string
	Leader   bool
	Feeds    []flow.FeedStatus
	Failures []postgres.Failure
	Error    string
	Now      time.Time
}

var tmpl = template.Must(template.New("console").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>Bridge console</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 2rem; }
th, td { border-bottom: 1px solid #ddd; padding: .4rem .8rem; text-align: left; }
.ok { color: #17803d; } .bad { color: #b42318; }
code { font-size: 12px; }
</style>
</head>
<body>
<h1>Bridge console</h1>
<p>Instance <code>{{.Instance}}</code>:
{{if .Leader}}<strong class="ok">active (holds the lease)</strong>{{else}}<strong>standby</strong>{{end}}
&middot; {{.Now.Format "2006-01-02 15:04:05 UTC"}}</p>
<h2>Feeds</h2>
<table id="feeds">
<tr><th>feed</th><th>connected</th><th>lag (events)</th><th>lag (s)</th><th>applied</th><th>failed attempts</th><th>last event</th><th>last error</th></tr>
{{range .Feeds}}<tr>
<td>{{.Name}}</td>
<td>{{if .Connected}}<span class="ok">yes</span>{{else}}<span class="bad">no</span>{{end}}</td>
<td>{{.LagEvents}}</td><td>{{printf "%.1f" .LagSeconds}}</td><td>{{.Applied}}</td><td>{{.Failed}}</td>
<td>{{ago .LastEventTime}}</td><td class="bad">{{.LastError}}</td>
</tr>{{end}}
</table>
<h2>Failures</h2>
{{if .Error}}<p class="bad">{{.Error}}</p>{{end}}
{{if .Failures}}<table id="failures">
<tr><th>id</th><th>feed</th><th>event</th><th>key</th><th>error</th><th>attempts</th><th>since</th></tr>
{{range .Failures}}<tr><td>{{.ID}}</td><td>{{.Feed}}</td><td>{{.EventType}}</td><td><code>{{.EventKey}}</code></td>
<td class="bad">{{.Error}}</td><td>{{.Attempts}}</td><td>{{ago .CreatedAt}}</td></tr>{{end}}
</table>{{else}}<p>None.</p>{{end}}
</body>
</html>
`))
