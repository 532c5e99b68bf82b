package api

import (
	"context"

	"github.com/seamhq/seam/crm-service/internal/search"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type searchServer struct {
	crmv1.UnimplementedSearchServiceServer
	svc *search.Service
}

func (s *searchServer) Search(ctx context.Context, req *crmv1.SearchRequest) (*crmv1.SearchResponse, error) {
	hits, next, err := s.svc.Search(ctx, search.Request{
		Query: req.GetQuery(), Types: req.GetTypes(), PageSize: req.GetPageSize(), PageToken: req.GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	out := &crmv1.SearchResponse{Results: make([]*crmv1.SearchResult, len(hits)), NextPageToken: next}
	for i, h := range hits {
		out.Results[i] = &crmv1.SearchResult{
			Resource: h.Type + "/" + h.ID, Type: h.Type, Id: h.ID, Name: h.DisplayName, Email: h.Email,
			MatchedField: h.MatchedField(),
		}
	}
	return out, nil
}
