package api

import (
	"bytes"
	"encoding/csv"

	"google.golang.org/genproto/googleapis/api/httpbody"

	"github.com/seamhq/seam/platform/csvcell"
)

// csvContentType is the media type of the CSV exports.
const csvContentType = "text/csv; charset=utf-8"

// csvBody writes recs (the first is the header) as CSV (RFC 4180, CRLF
// line ends), every cell through csvcell.Safe.
func csvBody(recs [][]string) (*httpbody.HttpBody, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	for _, rec := range recs {
		for i, cell := range rec {
			rec[i] = csvcell.Safe(cell)
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
