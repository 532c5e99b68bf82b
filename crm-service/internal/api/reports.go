package api

import (
	"context"

	"github.com/seamhq/seam/crm-service/internal/report"
	"github.com/seamhq/seam/platform/money"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type reportServer struct {
	crmv1.UnimplementedReportServiceServer
	svc *report.Service
}

func (s *reportServer) GetPipelineReport(ctx context.Context, req *crmv1.GetPipelineReportRequest) (*crmv1.PipelineReport, error) {
	p, err := s.svc.Pipeline(ctx, report.Filter{
		Owner: req.GetOwner(), Currency: req.GetCurrencyCode(), CampaignID: req.GetCampaignId(), Source: req.GetSource(),
		ExpectedClose: report.DateRange{Start: req.GetExpectedCloseStartDate(), End: req.GetExpectedCloseEndDate()},
		Closed:        report.DateRange{Start: req.GetCloseStartDate(), End: req.GetCloseEndDate()},
		LeadCreated:   report.DateRange{Start: req.GetLeadCreateStartDate(), End: req.GetLeadCreateEndDate()},
		TimeZone:      req.GetTimeZone(),
	})
	if err != nil {
		return nil, err
	}
	out := &crmv1.PipelineReport{}
	for _, st := range p.Stages {
		out.Stages = append(out.Stages, &crmv1.PipelineStageTotal{
			Stage: stages[st.Stage], Count: st.Count, Amount: money.ToProto(st.Amount), WeightedAmount: money.ToProto(st.Weighted),
		})
	}
	for _, m := range p.Months {
		out.Forecast = append(out.Forecast, &crmv1.ForecastMonth{
			Month: m.Month, Count: m.Count, Amount: money.ToProto(m.Amount), WeightedAmount: money.ToProto(m.Weighted),
		})
	}
	for _, o := range p.Owners {
		row := &crmv1.OwnerPeriod{Owner: o.Owner, Month: o.Month, Won: o.Won, Lost: o.Lost, WinRate: o.WinRate.StringFixed(4)}
		if o.AverageCycleDays != nil {
			row.AverageSalesCycleDays = o.AverageCycleDays.StringFixed(2)
		}
		for _, m := range o.WonAmounts {
			row.WonAmounts = append(row.WonAmounts, money.ToProto(m))
		}
		for _, m := range o.LostAmounts {
			row.LostAmounts = append(row.LostAmounts, money.ToProto(m))
		}
		out.Owners = append(out.Owners, row)
	}
	for _, f := range p.Funnel {
		out.Funnel = append(out.Funnel, &crmv1.FunnelRow{
			Source: f.Source, CampaignId: f.CampaignID, Leads: f.Leads, ConvertedLeads: f.Converted,
			ConversionRate: f.ConversionRate.StringFixed(4), WonOpportunities: f.WonOpportunities,
		})
	}
	return out, nil
}
