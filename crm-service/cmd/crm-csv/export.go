package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/seamhq/seam/platform/csvcell"
)

// exportPage is the page size of the list calls an export makes.
const exportPage = 1000

func runExport(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var c conn
	c.flags(fs, getenv)
	filter := fs.String("filter", "", `the list's filter, e.g. 'owner = "ana"' (see the List request's filter fields)`)
	out := fs.String("o", "-", "output file; - for standard output")
	bom := fs.Bool("bom", false, "start with a UTF-8 byte order mark, which some spreadsheet programs need to read UTF-8 (import skips it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: crm-csv export [-filter EXPR] [-o FILE] [-bom] " + exportable())
	}
	k := kindNamed(fs.Arg(0), false)
	if k == nil {
		return fmt.Errorf("cannot export %q: want one of %s", fs.Arg(0), exportable())
	}
	cc, err := c.dial(getenv)
	if err != nil {
		return err
	}
	defer cc.Close()

	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if *bom {
		if _, err := bw.WriteString(byteOrderMark); err != nil {
			return err
		}
	}
	n, err := export(ctx, k, *filter, func(ctx context.Context, token string) (page, error) {
		msgs, next, err := k.list(ctx, cc, *filter, token, exportPage)
		return page{msgs: msgs, next: next}, err
	}, bw)
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintf(stdout, "exported %d %s to %s\n", n, k.name, *out)
	}
	return nil
}

type page struct {
	msgs []protoreflect.ProtoMessage
	next string
}

// export writes the header and every row the list returns, page by page,
// and returns the number of records.
func export(ctx context.Context, k *kind, filter string, list func(context.Context, string) (page, error), w io.Writer) (int, error) {
	header, rows := layout(k)
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return 0, err
	}
	n := 0
	token := ""
	for {
		p, err := list(ctx, token)
		if err != nil {
			return n, fmt.Errorf("list %s (filter %q): %w", k.name, filter, err)
		}
		for _, m := range p.msgs {
			for _, rec := range rows(m) {
				for i, cell := range rec {
					rec[i] = csvcell.Safe(cell)
				}
				if err := cw.Write(rec); err != nil {
					return n, err
				}
			}
			n++
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
		if p.next == "" {
			return n, nil
		}
		token = p.next
	}
}

// layout returns the header of an export of k and the rows it writes for
// a record: by default one, of the message's columns (exportHeader).
func layout(k *kind) ([]string, func(proto.Message) [][]string) {
	if k.header != nil {
		return k.header, k.rows
	}
	md := k.empty.ProtoReflect().Descriptor()
	names := columns(md)
	paths := make([][]protoreflect.FieldDescriptor, len(names))
	for i, n := range names {
		paths[i] = field(md, n)
	}
	rec := make([]string, len(names)+len(k.lists))
	return exportHeader(k), func(m proto.Message) [][]string {
		pm := m.ProtoReflect()
		for i, path := range paths {
			rec[i] = get(pm, path)
		}
		for i, l := range k.lists {
			rec[len(paths)+i] = l.text(m)
		}
		return [][]string{rec}
	}
}

// exportHeader is the header of an export of k's messages: their columns,
// then the text columns of their lists.
func exportHeader(k *kind) []string {
	out := columns(k.empty.ProtoReflect().Descriptor())
	for _, l := range k.lists {
		out = append(out, l.name)
	}
	return out
}
