package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/crm-service/internal/upsert"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// maxBatch is the most rows the CRM takes per import call.
const maxBatch = upsert.MaxBatch

func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var c conn
	c.flags(fs, getenv)
	modeName := fs.String("mode", "all-or-nothing", "all-or-nothing: write nothing when a row is bad; skip-bad-rows: write the good rows")
	size := fs.Int("batch", 2000, fmt.Sprintf("rows per call, one transaction each (at most %d)", maxBatch))
	parallel := fs.Int("parallel", 2, "batches in flight at once")
	quiet := fs.Bool("q", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("usage: crm-csv import [-mode all-or-nothing|skip-bad-rows] [-batch N] accounts|contacts|leads FILE")
	}
	var mode crmv1.ImportMode
	switch *modeName {
	case "all-or-nothing":
		mode = crmv1.ImportMode_IMPORT_MODE_ALL_OR_NOTHING
	case "skip-bad-rows":
		mode = crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID
	default:
		return fmt.Errorf("-mode: want all-or-nothing or skip-bad-rows, got %q", *modeName)
	}
	if *parallel < 1 || *parallel > 16 {
		return fmt.Errorf("-parallel: want 1 to 16, got %d", *parallel)
	}
	if *size < 1 || *size > maxBatch {
		return fmt.Errorf("-batch: want 1 to %d, got %d", maxBatch, *size)
	}
	k := kindNamed(fs.Arg(0), true)
	if k == nil {
		return fmt.Errorf("cannot import %q: want accounts, contacts or leads", fs.Arg(0))
	}
	cc, err := c.dial(getenv)
	if err != nil {
		return err
	}
	defer cc.Close()
	im := &importer{kind: k, conn: cc, file: fs.Arg(1), batch: *size, parallel: *parallel, progress: stderr}
	if *quiet {
		im.progress = nil
	}
	return im.run(ctx, mode, stdout)
}

// importer imports one file.
type importer struct {
	kind     *kind
	conn     grpc.ClientConnInterface
	file     string
	batch    int
	parallel int
	progress io.Writer // nil: no progress bar
}

// tally is what a pass over the file found.
type tally struct {
	rows, created, updated, unchanged, invalid int
	problems                                   []problem
	// unwritten counts rows of batches the CRM did not write.
	unwritten int
}

// run imports the file: in all-or-nothing mode it first checks every row
// with the CRM (validate_only) and writes only when all are good.
func (im *importer) run(ctx context.Context, mode crmv1.ImportMode, stdout io.Writer) error {
	start := time.Now()
	if mode == crmv1.ImportMode_IMPORT_MODE_ALL_OR_NOTHING {
		t, err := im.pass(ctx, mode, true)
		if err != nil {
			return err
		}
		if t.invalid > 0 {
			report(stdout, t)
			return fmt.Errorf("%s: %d of %d rows are bad; nothing was imported", im.file, t.invalid, t.rows)
		}
	}
	t, err := im.pass(ctx, mode, false)
	if err != nil {
		return err
	}
	report(stdout, t)
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "%s: %d rows: %d created, %d updated, %d unchanged, %d bad in %s (%.0f rows/s)\n",
		im.kind.name, t.rows, t.created, t.updated, t.unchanged, t.invalid, elapsed.Round(time.Millisecond),
		float64(t.rows)/elapsed.Seconds())
	if t.unwritten > 0 {
		return fmt.Errorf("%s: %d rows were not imported: their batches had rows the CRM found bad meanwhile", im.file, t.unwritten)
	}
	return nil
}

func report(w io.Writer, t tally) {
	for _, p := range t.problems {
		fmt.Fprintln(w, p)
	}
}

// pass reads the file once, sending its good rows in batches, up to
// im.parallel at a time (batches never share a key: the reader rejects a
// row repeating the key of an earlier one).
func (im *importer) pass(ctx context.Context, mode crmv1.ImportMode, validateOnly bool) (tally, error) {
	var t tally
	f, err := os.Open(im.file)
	if err != nil {
		return t, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return t, err
	}
	rr, err := newRowReader(im.kind, bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return t, err
	}
	bar := im.bar(info.Size(), validateOnly)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		msgs  []proto.Message
		lines []int
	}
	jobs := make(chan job)
	var mu sync.Mutex // guards t and sendErr
	var sendErr error
	var wg sync.WaitGroup
	for range max(im.parallel, 1) {
		wg.Go(func() {
			for j := range jobs {
				resp, err := im.kind.send(ctx, im.conn, batch{rows: j.msgs, mask: rr.mask, mode: mode, validateOnly: validateOnly})
				if err == nil && len(resp.GetResults()) != len(j.msgs) {
					err = fmt.Errorf("the CRM answered %d results for %d rows", len(resp.GetResults()), len(j.msgs))
				}
				mu.Lock()
				if err != nil {
					if sendErr == nil {
						sendErr = fmt.Errorf("%s, lines %d to %d: %w", im.file, j.lines[0], j.lines[len(j.lines)-1], err)
					}
					cancel()
				} else {
					t.add(resp, j.lines, validateOnly)
				}
				mu.Unlock()
			}
		})
	}
	readErr := func() error {
		defer close(jobs)
		var cur job
		send := func() error {
			select {
			case jobs <- cur:
			case <-ctx.Done():
				return ctx.Err()
			}
			cur = job{}
			if bar != nil {
				mu.Lock()
				rows := t.rows
				mu.Unlock()
				_ = bar.Set64(rr.offset())
				bar.Describe(im.describe(validateOnly, rows))
			}
			return nil
		}
		for {
			r, err := rr.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", im.file, err)
			}
			mu.Lock()
			t.rows++
			if len(r.problems) > 0 {
				t.invalid++
				t.problems = append(t.problems, r.problems...)
			}
			mu.Unlock()
			if len(r.problems) > 0 {
				continue
			}
			cur.msgs, cur.lines = append(cur.msgs, r.msg), append(cur.lines, r.line)
			if len(cur.msgs) == im.batch {
				if err := send(); err != nil {
					return err
				}
			}
		}
		if len(cur.msgs) > 0 {
			return send()
		}
		return nil
	}()
	wg.Wait()
	if sendErr != nil {
		return t, sendErr
	}
	if readErr != nil {
		return t, readErr
	}
	slices.SortStableFunc(t.problems, func(a, b problem) int { return cmp.Compare(a.line, b.line) })
	if bar != nil {
		_ = bar.Set64(info.Size())
		bar.Describe(im.describe(validateOnly, t.rows))
		_ = bar.Finish()
	}
	return t, nil
}

// add counts the results of a batch whose rows are on lines.
func (t *tally) add(resp *crmv1.ImportResponse, lines []int, validateOnly bool) {
	for i, r := range resp.GetResults() {
		switch r.GetOutcome() {
		case crmv1.ImportOutcome_IMPORT_OUTCOME_CREATED:
			t.created++
		case crmv1.ImportOutcome_IMPORT_OUTCOME_UPDATED:
			t.updated++
		case crmv1.ImportOutcome_IMPORT_OUTCOME_UNCHANGED:
			t.unchanged++
		default:
			t.invalid++
			for _, v := range r.GetViolations() {
				t.problems = append(t.problems, problem{line: lines[i], column: v.GetField(), message: v.GetDescription()})
			}
			if len(r.GetViolations()) == 0 {
				t.problems = append(t.problems, problem{line: lines[i], message: "rejected by the CRM"})
			}
		}
	}
	if !validateOnly && !resp.GetWritten() {
		t.unwritten += len(lines) - int(resp.GetInvalid())
	}
}

func (im *importer) describe(validateOnly bool, rows int) string {
	verb := "importing"
	if validateOnly {
		verb = "checking"
	}
	return fmt.Sprintf("%s %s: %d rows", verb, im.kind.name, rows)
}

// bar shows progress through the file's bytes on the progress writer.
func (im *importer) bar(size int64, validateOnly bool) *progressbar.ProgressBar {
	if im.progress == nil {
		return nil
	}
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(im.progress),
		progressbar.OptionSetDescription(im.describe(validateOnly, 0)),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(im.progress) }),
	)
}
