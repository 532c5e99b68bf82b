package console

import (
	"io"
	"net/http"
	"testing"
)

func httptestMux(c *Console) *http.ServeMux {
	mux := http.NewServeMux()
	for pattern, h := range c.Routes() {
		mux.Handle(pattern, h)
	}
	return mux
}

func readAll(t *testing.T, r io.ReadCloser) string {
	t.Helper()
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
