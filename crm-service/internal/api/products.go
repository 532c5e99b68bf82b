package api

import (
	"context"

	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type productServer struct {
	crmv1.UnimplementedProductServiceServer
	svc *catalog.Service
}

func (s *productServer) GetProduct(ctx context.Context, req *crmv1.GetProductRequest) (*crmv1.Product, error) {
	p, err := s.svc.Get(ctx, req.GetSku())
	if err != nil {
		return nil, err
	}
	return productToProto(p), nil
}

func (s *productServer) ListProducts(ctx context.Context, req *crmv1.ListProductsRequest) (*crmv1.ListProductsResponse, error) {
	p, err := parsePage(req, false, catalog.FilterFields, nil)
	if err != nil {
		return nil, err
	}
	list, more, err := s.svc.List(ctx, catalog.Query{Equal: p.equal, After: p.after, Limit: p.limit})
	if err != nil {
		return nil, err
	}
	resp := &crmv1.ListProductsResponse{Products: make([]*crmv1.Product, len(list))}
	for i, pr := range list {
		resp.Products[i] = productToProto(pr)
	}
	// Products of long promise schedules end a page early (listing.Fit).
	if n := listing.Fit(resp.Products); n < len(list) {
		resp.Products, list, more = resp.Products[:n], list[:n], true
	}
	if more {
		resp.NextPageToken = p.nextToken(more, list[len(list)-1].SKU)
	}
	return resp, nil
}
