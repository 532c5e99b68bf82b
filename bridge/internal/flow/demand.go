package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/money"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Pipeline demand: open opportunities at or past a stage tell purchasing
// what sales expects to sell. Periodically the bridge sums, per SKU, the
// line quantities of those opportunities weighted by their probability and
// sends the snapshot to the ERP, where reorder suggestions take it into
// account. A SKU whose demand went away is sent as zero.

// DemandStore remembers the last snapshot sent.
type DemandStore interface {
	SentDemand(ctx context.Context) (map[string]decimal.Decimal, error)
	RecordDemand(ctx context.Context, demand map[string]decimal.Decimal) error
	NextDemandVersion(ctx context.Context, now int64) (int64, error)
}

var hundred = decimal.NewFromInt(100)

// openStagesFrom lists the open stages at or past from.
func openStagesFrom(from crmv1.Stage) []crmv1.Stage {
	var out []crmv1.Stage
	for _, s := range []crmv1.Stage{crmv1.Stage_STAGE_PROSPECTING, crmv1.Stage_STAGE_QUALIFICATION, crmv1.Stage_STAGE_PROPOSAL, crmv1.Stage_STAGE_NEGOTIATION} {
		if s >= from {
			out = append(out, s)
		}
	}
	return out
}

// pipelineDemand sums the weighted quantities per SKU.
func (e *Engine) pipelineDemand(ctx context.Context) (map[string]decimal.Decimal, error) {
	demand := map[string]decimal.Decimal{}
	for _, stage := range openStagesFrom(e.opts.DemandStage) {
		token := ""
		for {
			resp, err := e.crm.Opportunities.ListOpportunities(ctx, &crmv1.ListOpportunitiesRequest{
				PageSize: reconcilePage, PageToken: token, Filter: "stage = " + stage.String(),
			})
			if err != nil {
				return nil, fmt.Errorf("list opportunities in %s: %w", stage, err)
			}
			for _, opp := range resp.GetOpportunities() {
				weight := decimal.NewFromInt32(opp.GetProbability()).Div(hundred)
				for _, l := range opp.GetLines() {
					q, err := money.ParseDecimal(l.GetQuantity())
					if err != nil {
						continue
					}
					demand[l.GetSku()] = demand[l.GetSku()].Add(q.Mul(weight))
				}
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
	}
	return demand, nil
}

var maxDemand = decimal.NewFromInt(money.MaxQuantity)

// demandQuantity is a SKU's weighted sum as the ERP takes it: rounded to
// money.QuantityScale places (a line quantity of 6 places times a
// probability of 2 has up to 8), and at most money.MaxQuantity, so that one
// SKU's huge pipeline cannot get the whole snapshot refused.
func demandQuantity(q decimal.Decimal) decimal.Decimal {
	return decimal.Min(q.Round(money.QuantityScale), maxDemand)
}

// SendDemand computes the pipeline demand and sends what changed, as one
// pass with a request id of its own (bridge-demand-<n>).
func (e *Engine) SendDemand(ctx context.Context) (int, error) {
	return e.sendDemand(e.demandPass(ctx))
}

// demandPass returns ctx carrying the request id of a new pass of
// pipeline demand.
func (e *Engine) demandPass(ctx context.Context) context.Context {
	return withRequestID(ctx, demandRequestID(e.demandPasses.Add(1)))
}

func (e *Engine) sendDemand(ctx context.Context) (int, error) {
	demand, err := e.pipelineDemand(ctx)
	if err != nil {
		return 0, err
	}
	sent, err := e.store.SentDemand(ctx)
	if err != nil {
		return 0, err
	}
	changed := map[string]decimal.Decimal{}
	for sku, q := range demand {
		q = demandQuantity(q)
		if old, ok := sent[sku]; !ok || !old.Equal(q) {
			changed[sku] = q
		}
	}
	for sku := range sent {
		if _, ok := demand[sku]; !ok {
			changed[sku] = decimal.Zero
		}
	}
	if len(changed) == 0 {
		return 0, nil
	}
	version, err := e.store.NextDemandVersion(ctx, e.opts.Now().UnixMicro())
	if err != nil {
		return 0, err
	}
	req := &erpv1.SetPipelineDemandRequest{SourceVersion: version}
	for sku, q := range changed {
		req.Demands = append(req.Demands, &erpv1.PipelineDemand{Sku: sku, Quantity: q.String()})
	}
	if _, err := e.erp.Planning.SetPipelineDemand(ctx, req); err != nil {
		return 0, fmt.Errorf("send pipeline demand: %w", err)
	}
	return len(changed), e.store.RecordDemand(ctx, changed)
}

// sendDemandPeriodically sends the pipeline demand every interval while
// this replica leads.
func (e *Engine) sendDemandPeriodically(ctx context.Context) {
	if e.opts.DemandEvery <= 0 {
		return
	}
	t := time.NewTicker(e.opts.DemandEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pass := e.demandPass(ctx)
			if n, err := e.sendDemand(pass); err != nil && ctx.Err() == nil {
				e.log.WarnContext(pass, "pipeline demand", "err", err)
			} else if n > 0 {
				e.log.InfoContext(pass, "pipeline demand sent", "skus", n)
			}
		}
	}
}
