package api

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/platform/feed"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type eventServer struct {
	crmv1.UnimplementedEventServiceServer
	src feed.Source
}

func (s *eventServer) ListEvents(ctx context.Context, req *crmv1.ListEventsRequest) (*crmv1.ListEventsResponse, error) {
	events, next, err := feed.ListPage(ctx, s.src, req.GetAfter(), req.GetPageSize(), eventToProto)
	if err != nil {
		return nil, err
	}
	return &crmv1.ListEventsResponse{Events: events, NextCursor: next}, nil
}

func (s *eventServer) WatchEvents(req *crmv1.WatchEventsRequest, stream crmv1.EventService_WatchEventsServer) error {
	return feed.Stream(stream.Context(), s.src, req.GetAfter(), eventToProto, stream.Send)
}

var readPayload = protojson.UnmarshalOptions{DiscardUnknown: true}

// eventToProto turns an outbox row into the wire event: the payload is the
// resource's JSON, and the event's version is the resource's etag in it.
func eventToProto(e feed.Event) (*crmv1.Event, error) {
	out := &crmv1.Event{
		Cursor:       e.Cursor.String(),
		Id:           e.ID,
		Type:         e.Type,
		Key:          e.Key,
		CreateTime:   timestamppb.New(e.CreatedAt),
		TraceContext: e.TraceContext,
	}
	var etag string
	kind, _, _ := strings.Cut(e.Type, ".")
	switch kind {
	case "account":
		var a crmv1.Account
		if err := readPayload.Unmarshal(e.Payload, &a); err != nil {
			return nil, fmt.Errorf("event %s: decode account payload: %w", e.ID, err)
		}
		out.Payload, etag = &crmv1.Event_Account{Account: &a}, a.GetEtag()
	case "opportunity":
		var o crmv1.Opportunity
		if err := readPayload.Unmarshal(e.Payload, &o); err != nil {
			return nil, fmt.Errorf("event %s: decode opportunity payload: %w", e.ID, err)
		}
		out.Payload, etag = &crmv1.Event_Opportunity{Opportunity: &o}, o.GetEtag()
	case "contact":
		var c crmv1.Contact
		if err := readPayload.Unmarshal(e.Payload, &c); err != nil {
			return nil, fmt.Errorf("event %s: decode contact payload: %w", e.ID, err)
		}
		out.Payload, etag = &crmv1.Event_Contact{Contact: &c}, c.GetEtag()
	case "lead":
		var l crmv1.Lead
		if err := readPayload.Unmarshal(e.Payload, &l); err != nil {
			return nil, fmt.Errorf("event %s: decode lead payload: %w", e.ID, err)
		}
		out.Payload, etag = &crmv1.Event_Lead{Lead: &l}, l.GetEtag()
	case "activity":
		var a crmv1.Activity
		if err := readPayload.Unmarshal(e.Payload, &a); err != nil {
			return nil, fmt.Errorf("event %s: decode activity payload: %w", e.ID, err)
		}
		out.Payload, etag = &crmv1.Event_Activity{Activity: &a}, a.GetEtag()
	case "case":
		var c crmv1.Case
		if err := readPayload.Unmarshal(e.Payload, &c); err != nil {
			return nil, fmt.Errorf("event %s: decode case payload: %w", e.ID, err)
		}
		out.Payload, etag = &crmv1.Event_Case{Case: &c}, c.GetEtag()
	case "campaign":
		var c crmv1.Campaign
		if err := readPayload.Unmarshal(e.Payload, &c); err != nil {
			return nil, fmt.Errorf("event %s: decode campaign payload: %w", e.ID, err)
		}
		out.Payload, etag = &crmv1.Event_Campaign{Campaign: &c}, c.GetEtag()
	case "campaign_member":
		var m crmv1.CampaignMember
		if err := readPayload.Unmarshal(e.Payload, &m); err != nil {
			return nil, fmt.Errorf("event %s: decode campaign member payload: %w", e.ID, err)
		}
		out.Payload, etag = &crmv1.Event_CampaignMember{CampaignMember: &m}, m.GetEtag()
	default:
		// A type this binary does not describe (written by a newer one):
		// no payload, rather than a feed that stops at it.
		return out, nil
	}
	if etag != "" {
		v, err := strconv.ParseInt(etag, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("event %s: etag %q is not a version", e.ID, etag)
		}
		out.Version = v
	}
	return out, nil
}
