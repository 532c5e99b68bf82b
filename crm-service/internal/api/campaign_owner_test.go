package api_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// A campaign has an owner, stored trimmed like every owner, written by
// create and update (mask path owner), at most 200 characters, carried by
// its events, and ListCampaigns filters on it.
func TestCampaignOwner(t *testing.T) {
	e := newEnv(t)
	mk := func(name, owner string) *crmv1.Campaign {
		t.Helper()
		c, err := e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{Campaign: &crmv1.Campaign{Name: name, Owner: owner}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ana := mk("Spring mailing", " ana ")
	if ana.Owner != "ana" {
		t.Fatalf("owner stored as %q", ana.Owner)
	}
	got, err := e.campaigns.GetCampaign(e.sales(), &crmv1.GetCampaignRequest{Id: ana.Id})
	if err != nil || got.Owner != "ana" {
		t.Fatalf("get: %v %v", got, err)
	}
	ben := mk("Expo", "ben")
	none := mk("Unowned", "")

	// Too long, on create and update.
	_, err = e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{Campaign: &crmv1.Campaign{Name: "Long", Owner: strings.Repeat("x", 201)}})
	if f := violations(t, err); !slices.Equal(f, []string{"campaign.owner"}) {
		t.Fatalf("long owner: %v", err)
	}
	_, err = e.campaigns.UpdateCampaign(e.sales(), &crmv1.UpdateCampaignRequest{
		Campaign: &crmv1.Campaign{Id: ben.Id, Owner: strings.Repeat("x", 201)}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	if f := violations(t, err); !slices.Equal(f, []string{"campaign.owner"}) {
		t.Fatalf("long owner on update: %v", err)
	}

	// An update assigns it; the same owner padded changes nothing.
	upd, err := e.campaigns.UpdateCampaign(e.sales(), &crmv1.UpdateCampaignRequest{
		Campaign: &crmv1.Campaign{Id: none.Id, Owner: "  ana", Etag: none.Etag}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	if err != nil || upd.Owner != "ana" || upd.Etag == none.Etag || upd.Name != "Unowned" {
		t.Fatalf("assign: %v %v", upd, err)
	}
	same, err := e.campaigns.UpdateCampaign(e.sales(), &crmv1.UpdateCampaignRequest{
		Campaign: &crmv1.Campaign{Id: none.Id, Owner: "ana "}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	if err != nil || same.Etag != upd.Etag {
		t.Fatalf("same owner padded: %v %v", same, err)
	}

	for filter, want := range map[string][]string{
		`owner = "ana"`:                      {ana.Id, none.Id},
		`owner = " ana "`:                    {ana.Id, none.Id},
		`owner = "ben"`:                      {ben.Id},
		`owner = "ana" AND status = PLANNED`: {ana.Id, none.Id},
		`owner = "cy"`:                       nil,
	} {
		resp, err := e.campaigns.ListCampaigns(e.sales(), &crmv1.ListCampaignsRequest{Filter: filter})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		var ids []string
		for _, c := range resp.Campaigns {
			ids = append(ids, c.Id)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: %v, want %v", filter, ids, want)
		}
	}

	// The events carry the owner.
	if n := e.count(`SELECT count(*) FROM outbox_events WHERE type = 'campaign.created' AND key = $1 AND payload->>'owner' = 'ana'`, ana.Id); n != 1 {
		t.Errorf("%d created events with the owner, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM outbox_events WHERE type = 'campaign.updated' AND key = $1 AND payload->>'owner' = 'ana'`, none.Id); n != 1 {
		t.Errorf("%d updated events with the owner, want 1", n)
	}
}
