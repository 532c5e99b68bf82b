package report

import (
	"cmp"
	"errors"
	"slices"
	"testing"

	"github.com/seamhq/seam/platform/errs"
)

func TestFilterCheck(t *testing.T) {
	for _, tc := range []struct {
		f    Filter
		want []string
	}{
		{Filter{}, nil},
		{Filter{Owner: "ana", Currency: "JPY", CampaignID: "01900000-0000-7000-8000-000000000001", Source: "web",
			ExpectedClose: DateRange{"2031-01-01", "2031-01-01"}, Closed: DateRange{End: "2031-02-28"}, LeadCreated: DateRange{Start: "2030-12-31"}}, nil},
		{Filter{Currency: "eur"}, []string{FieldCurrency}},
		{Filter{CampaignID: "01900000-0000-7000-8000-00000000000A"}, nil},
		{Filter{CampaignID: "urn:uuid:01900000-0000-7000-8000-00000000000a"}, []string{FieldCampaignID}},
		{Filter{CampaignID: "{01900000-0000-7000-8000-00000000000a}"}, []string{FieldCampaignID}},
		{Filter{ExpectedClose: DateRange{"2031-01-02", "2031-01-01"}}, []string{FieldExpectedCloseEnd}},
		{Filter{Closed: DateRange{"2031-1-1", "2031-02-29"}}, []string{FieldCloseStart, FieldCloseEnd}},
		{Filter{LeadCreated: DateRange{End: "today"}, Source: string(make([]rune, 201))}, []string{FieldSource, FieldLeadCreateEnd}},
	} {
		err := tc.f.Check()
		var got []string
		var e *errs.Error
		if errors.As(err, &e) {
			for _, v := range e.Violations {
				got = append(got, v.Field)
			}
		} else if err != nil {
			t.Fatalf("%+v: %v", tc.f, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v: violations %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestFilterCheckTimeZone(t *testing.T) {
	for _, tc := range []struct {
		zone, want string // want: the zone after Check, or "!" for INVALID_ARGUMENT on time_zone
	}{
		{"", ""},
		{"UTC", ""},
		{"Etc/UTC", ""},
		{"America/New_York", "America/New_York"},
		{"Asia/Kolkata", "Asia/Kolkata"},
		{"Local", "!"},
		{"Mars/Olympus", "!"},
		{"America/New York", "!"},
		{"../../etc/passwd", "!"},
		{"+05:00", "!"},
	} {
		f := Filter{TimeZone: tc.zone}
		err := f.Check()
		var e *errs.Error
		switch {
		case tc.want == "!":
			if !errors.As(err, &e) || len(e.Violations) != 1 || e.Violations[0].Field != FieldTimeZone {
				t.Errorf("%q: %v, want a violation of %s", tc.zone, err, FieldTimeZone)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.zone, err)
		case f.TimeZone != tc.want || f.Zone() != cmp.Or(tc.want, "UTC"):
			t.Errorf("%q: checked as %q (zone %q), want %q", tc.zone, f.TimeZone, f.Zone(), tc.want)
		}
	}
}
