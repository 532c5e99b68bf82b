package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// readAll reads every row of content as kind.
func readAll(t testing.TB, kind, content string) ([]row, error) {
	k := kindNamed(kind, true)
	rr, err := newRowReader(k, strings.NewReader(content))
	if err != nil {
		return nil, err
	}
	var out []row
	for {
		r, err := rr.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

func TestRowReader(t *testing.T) {
	rows, err := readAll(t, "leads", "\ufeffname, email ,status,etag,website\n"+
		"Ana,ana@example.com,working,7,\n"+
		"\"Bo, Jr.\",bo@example.com,LEAD_STATUS_QUALIFIED,,\"https://bo.example\"\n"+
		"Cy,cy@example.com,sleeping,,\n"+
		"Dee,Ana@Example.com,,,\n"+
		"Eve,eve@example.com\n"+
		"\"Fay\nMultiline\",fay@example.com,,,\n"+
		"Gus,gus@example.com,,,\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		if r.msg != nil {
			got = append(got, protojson.MarshalOptions{UseProtoNames: true}.Format(r.msg))
		}
		for _, p := range r.problems {
			got = append(got, p.String())
		}
	}
	want := []string{
		`{"name":"Ana", "email":"ana@example.com", "status":"LEAD_STATUS_WORKING"}`,
		`{"name":"Bo, Jr.", "email":"bo@example.com", "website":"https://bo.example", "status":"LEAD_STATUS_QUALIFIED"}`,
		`line 4, column status: unknown value "sleeping" (one of LEAD_STATUS_NEW, LEAD_STATUS_WORKING, LEAD_STATUS_QUALIFIED, LEAD_STATUS_DISQUALIFIED, LEAD_STATUS_CONVERTED)`,
		`line 5, column email: "Ana@Example.com" matches the email of line 2; each record may appear once`,
		`line 6: has 2 fields, the header has 5`,
		`{"name":"Fay\nMultiline", "email":"fay@example.com"}`,
		`{"name":"Gus", "email":"gus@example.com"}`,
	}
	// protojson's spacing varies from build to build on purpose: compare
	// the JSON without insignificant whitespace.
	compact := func(s string) string {
		var b bytes.Buffer
		if json.Compact(&b, []byte(s)) != nil {
			return s // a problem line, not JSON
		}
		return b.String()
	}
	for i := range got {
		got[i] = compact(got[i])
	}
	for i := range want {
		want[i] = compact(want[i])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rows[len(rows)-1].line != 9 {
		t.Errorf("last row on line %d, want 9", rows[len(rows)-1].line)
	}
	if _, err := readAll(t, "accounts", "name,website\n\"bad\"quote,x\n"); err == nil {
		t.Error("a malformed file read without error")
	}
}

func TestExportColumnsImportBack(t *testing.T) {
	// Every column an export writes is one an import reads (or ignores).
	for _, k := range kinds {
		if k.send == nil {
			continue
		}
		header := strings.Join(exportHeader(k), ",")
		if _, err := newRowReader(k, strings.NewReader(header+"\n")); err != nil {
			t.Errorf("%s: %v", k.name, err)
		}
	}
	a := &crmv1.Account{Name: "Acme", BillingAddress: &crmv1.PostalAddress{City: "Oslo"}, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_PAID}
	md := a.ProtoReflect().Descriptor()
	back := &crmv1.Account{}
	for _, c := range columns(md) {
		if err := set(back.ProtoReflect(), field(md, c), get(a.ProtoReflect(), field(md, c))); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}
	if !proto.Equal(a, back) {
		t.Fatalf("round trip: %v, want %v", back, a)
	}
}

// FuzzRowReader feeds arbitrary files to the reader of each kind: it must
// never panic, report lines in increasing order, and every row it accepts
// must be a message of the kind with only the file's columns set.
func FuzzRowReader(f *testing.F) {
	f.Add("name,website\nAcme,acme.example\n")
	f.Add("name,email,account_id\nAna,ana@example.com,x\n\"Bo\",\"b\"\"o@x\",\n")
	f.Add("name,email,status\nA,a@x,new\nB,b@x,LEAD_STATUS_BOGUS\n")
	f.Add("\ufeffname,website,billing_address.city,id,etag\n\"A\nB\",w,c,1,2\n,,,\n")
	f.Add("name,website,colour\n")
	f.Add("a\"b,c\n")
	f.Fuzz(func(t *testing.T, content string) {
		for _, kind := range []string{"accounts", "contacts", "leads"} {
			rows, _ := readAll(t, kind, content)
			last := 1
			for _, r := range rows {
				if r.line <= last {
					t.Fatalf("%s: row on line %d after line %d", kind, r.line, last)
				}
				last = r.line
				if (r.msg == nil) == (len(r.problems) == 0) {
					t.Fatalf("%s: line %d has a message %v and problems %v", kind, r.line, r.msg, r.problems)
				}
				if r.msg != nil && r.msg.ProtoReflect().Descriptor() != kindNamed(kind, true).empty.ProtoReflect().Descriptor() {
					t.Fatalf("%s: row of type %T", kind, r.msg)
				}
				if r.msg != nil {
					if _, err := proto.Marshal(r.msg); err != nil {
						t.Fatalf("%s: line %d does not marshal: %v", kind, r.line, err)
					}
				}
			}
		}
	})
}

// A byte order mark before the header is skipped, also before a quoted
// first column (as spreadsheet programs write it), and the reader's offset
// still counts it.
func TestRowReaderSkipsByteOrderMark(t *testing.T) {
	for _, content := range []string{
		"\ufeffname,website\nAcme,acme.example\n",
		"\ufeff\"name\",\"website\"\n\"Acme\",\"acme.example\"\n",
	} {
		rows, err := readAll(t, "accounts", content)
		if err != nil || len(rows) != 1 || rows[0].msg == nil || rows[0].msg.(*crmv1.Account).GetName() != "Acme" {
			t.Errorf("%q: %v %v", content, rows, err)
		}
		rr, err := newRowReader(kindNamed("accounts", true), strings.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rr.next(); err != nil || rr.offset() != int64(len(content)) {
			t.Errorf("%q: offset %d after the last row, want %d (%v)", content, rr.offset(), len(content), err)
		}
	}
}
