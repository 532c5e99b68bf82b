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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
	// sent are the batches a writing pass sent, with what became of them,
	// in the order they were answered.
	sent []sentBatch
}

// sentBatch is a batch a writing pass sent, and what became of it.
type sentBatch struct {
	lines []int
	// written: the CRM committed the batch (outcomes says what became of
	// each row); unsure: the call broke off or its answer was not
	// understood, so the batch may or may not be committed; neither: the
	// CRM rejected the call and wrote nothing of it.
	written, unsure bool
	outcomes        []crmv1.ImportOutcome
}

// rejected reports whether a failed import call certainly wrote nothing:
// the CRM writes a batch in one transaction and answers these codes only
// when it did not commit it. Any other failure (the connection lost, a
// deadline, an internal error) leaves the batch's fate unknown.
func rejected(err error) bool {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.AlreadyExists, codes.NotFound, codes.PermissionDenied,
		codes.Unauthenticated, codes.ResourceExhausted, codes.Aborted, codes.OutOfRange, codes.Unimplemented:
		return true
	}
	return false
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
		report(stdout, t)
		if n := reportImported(stdout, t, "before the import stopped"); n > 0 {
			return fmt.Errorf("%w; %d rows were imported before the import stopped and stay imported (listed above): "+
				"each batch of -batch rows is written in a transaction of its own", err, n)
		}
		return err
	}
	report(stdout, t)
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "%s: %d rows: %d created, %d updated, %d unchanged, %d bad in %s (%.0f rows/s)\n",
		im.kind.name, t.rows, t.created, t.updated, t.unchanged, t.invalid, elapsed.Round(time.Millisecond),
		float64(t.rows)/elapsed.Seconds())
	if t.unwritten > 0 {
		reportImported(stdout, t, "from the other batches")
		return fmt.Errorf("%s: %d rows were not imported: their batches had rows the CRM found bad meanwhile", im.file, t.unwritten)
	}
	return nil
}

// reportImported lists the lines of the rows a writing pass that fell
// short imported (created, updated or found unchanged), and those whose
// batch may or may not have been written, so that the file can be fixed
// and run again (a row imported already then changes nothing). It
// returns how many rows are certainly imported.
func reportImported(w io.Writer, t tally, when string) int {
	var imported, unsure []int
	var created, updated, unchanged int
	for _, b := range t.sent {
		switch {
		case b.unsure:
			unsure = append(unsure, b.lines...)
		case b.written:
			for i, o := range b.outcomes {
				switch o {
				case crmv1.ImportOutcome_IMPORT_OUTCOME_CREATED:
					created++
				case crmv1.ImportOutcome_IMPORT_OUTCOME_UPDATED:
					updated++
				case crmv1.ImportOutcome_IMPORT_OUTCOME_UNCHANGED:
					unchanged++
				default:
					continue
				}
				imported = append(imported, b.lines[i])
			}
		}
	}
	if len(imported) == 0 && len(unsure) == 0 {
		return 0
	}
	if len(imported) > 0 {
		fmt.Fprintf(w, "imported %s (%d rows: %d created, %d updated, %d unchanged): %s\n",
			when, len(imported), created, updated, unchanged, lineRanges(imported))
	}
	if len(unsure) > 0 {
		fmt.Fprintf(w, "maybe imported (the call broke off; check these records): %s\n", lineRanges(unsure))
	}
	fmt.Fprintln(w, "every other line was not imported; fix the file and run it again: rows imported already match their records and stay unchanged")
	return len(imported)
}

// lineRanges writes line numbers as "line 2", "lines 2 to 4, 7".
func lineRanges(lines []int) string {
	lines = slices.Clone(lines)
	slices.Sort(lines)
	var parts []string
	for i := 0; i < len(lines); {
		j := i
		for j+1 < len(lines) && lines[j+1] == lines[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(lines[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d to %d", lines[i], lines[j]))
		}
		i = j + 1
	}
	if len(lines) == 1 {
		return "line " + parts[0]
	}
	return "lines " + strings.Join(parts, ", ")
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

	// A failed call stops the reading, so no batch is sent after it, but
	// not the calls in flight: what became of them is part of the report.
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
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
				mu.Lock()
				failed := sendErr != nil
				mu.Unlock()
				if failed {
					continue // taken after a failure: not sent
				}
				resp, err := im.kind.send(ctx, im.conn, batch{rows: j.msgs, mask: rr.mask, mode: mode, validateOnly: validateOnly})
				sent := sentBatch{lines: j.lines, written: err == nil && resp.GetWritten(), unsure: err != nil && !rejected(err)}
				if err == nil && len(resp.GetResults()) != len(j.msgs) {
					err = fmt.Errorf("the CRM answered %d results for %d rows", len(resp.GetResults()), len(j.msgs))
					sent.unsure = sent.written
				}
				mu.Lock()
				if err != nil {
					if sendErr == nil {
						sendErr = fmt.Errorf("%s, %s: %w", im.file, lineRanges(j.lines), err)
					}
					stopReading()
				} else {
					t.add(resp, j.lines, validateOnly)
					for _, r := range resp.GetResults() {
						sent.outcomes = append(sent.outcomes, r.GetOutcome())
					}
				}
				if !validateOnly {
					t.sent = append(t.sent, sent)
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
			case <-readCtx.Done():
				return readCtx.Err()
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
