package api

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/money"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

var paymentStatuses = map[account.PaymentStatus]crmv1.PaymentStatus{
	account.PaymentUnspecified:   crmv1.PaymentStatus_PAYMENT_STATUS_UNSPECIFIED,
	account.PaymentNotInvoiced:   crmv1.PaymentStatus_PAYMENT_STATUS_NOT_INVOICED,
	account.PaymentOpen:          crmv1.PaymentStatus_PAYMENT_STATUS_OPEN,
	account.PaymentPartiallyPaid: crmv1.PaymentStatus_PAYMENT_STATUS_PARTIALLY_PAID,
	account.PaymentPaid:          crmv1.PaymentStatus_PAYMENT_STATUS_PAID,
	account.PaymentOverdue:       crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE,
	account.PaymentCredited:      crmv1.PaymentStatus_PAYMENT_STATUS_CREDITED,
}

var stages = map[pipeline.Stage]crmv1.Stage{
	pipeline.StageUnspecified:   crmv1.Stage_STAGE_UNSPECIFIED,
	pipeline.StageProspecting:   crmv1.Stage_STAGE_PROSPECTING,
	pipeline.StageQualification: crmv1.Stage_STAGE_QUALIFICATION,
	pipeline.StageProposal:      crmv1.Stage_STAGE_PROPOSAL,
	pipeline.StageNegotiation:   crmv1.Stage_STAGE_NEGOTIATION,
	pipeline.StageClosedWon:     crmv1.Stage_STAGE_CLOSED_WON,
	pipeline.StageClosedLost:    crmv1.Stage_STAGE_CLOSED_LOST,
}

var fulfillmentStatuses = map[pipeline.FulfillmentStatus]crmv1.FulfillmentStatus{
	pipeline.FulfillmentPending:          crmv1.FulfillmentStatus_FULFILLMENT_STATUS_PENDING,
	pipeline.FulfillmentDraft:            crmv1.FulfillmentStatus_FULFILLMENT_STATUS_DRAFT,
	pipeline.FulfillmentConfirmed:        crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED,
	pipeline.FulfillmentBackordered:      crmv1.FulfillmentStatus_FULFILLMENT_STATUS_BACKORDERED,
	pipeline.FulfillmentOnCreditHold:     crmv1.FulfillmentStatus_FULFILLMENT_STATUS_ON_CREDIT_HOLD,
	pipeline.FulfillmentPartiallyShipped: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_PARTIALLY_SHIPPED,
	pipeline.FulfillmentShipped:          crmv1.FulfillmentStatus_FULFILLMENT_STATUS_SHIPPED,
	pipeline.FulfillmentInvoiced:         crmv1.FulfillmentStatus_FULFILLMENT_STATUS_INVOICED,
	pipeline.FulfillmentPaid:             crmv1.FulfillmentStatus_FULFILLMENT_STATUS_PAID,
	pipeline.FulfillmentCancelled:        crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CANCELLED,
}

// stageFromProto maps a wire stage to the domain; a number outside the
// enum becomes a stage the domain rejects by name.
func stageFromProto(s crmv1.Stage) pipeline.Stage {
	for d, p := range stages {
		if p == s {
			return d
		}
	}
	return pipeline.Stage(fmt.Sprintf("stage(%d)", int32(s)))
}

// opportunityFilterValue accepts a stage in a filter as its enum name
// ("STAGE_PROPOSAL") or its short form ("proposal").
func opportunityFilterValue(field, value string) (string, error) {
	if field == "currency_code" {
		// As stored, upper case: "eur" would match nothing, and read as
		// "there are none".
		return value, money.CheckCode(value)
	}
	if field != "stage" {
		return value, nil
	}
	return enumFilterValue("stage", value, stages)
}

// paymentStatusFromProto maps a wire payment status to the domain;
// unspecified and unknown numbers become a status the domain rejects.
func paymentStatusFromProto(s crmv1.PaymentStatus) account.PaymentStatus {
	for d, p := range paymentStatuses {
		if p == s {
			return d
		}
	}
	return account.PaymentStatus(fmt.Sprintf("payment_status(%d)", int32(s)))
}

func amountInput(m *moneyv1.Money) *account.Amount {
	if m == nil {
		return nil
	}
	return &account.Amount{Currency: m.GetCurrencyCode(), Amount: m.GetAmount()}
}

func fulfillmentFromProto(s crmv1.FulfillmentStatus) pipeline.FulfillmentStatus {
	for d, p := range fulfillmentStatuses {
		if p == s {
			return d
		}
	}
	return "" // unspecified or unknown: rejected by the domain
}

func timeToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func moneyToProto(m *money.Money) *moneyv1.Money {
	if m == nil {
		return nil
	}
	return money.ToProto(*m)
}

func moneyInput(m *moneyv1.Money) *catalog.MoneyInput {
	if m == nil {
		return nil
	}
	return &catalog.MoneyInput{Currency: m.GetCurrencyCode(), Amount: m.GetAmount()}
}

func accountToProto(a account.Account) *crmv1.Account {
	return &crmv1.Account{
		Id:             a.ID,
		Name:           a.Name,
		Website:        a.Website,
		Industry:       a.Industry,
		Owner:          a.Owner,
		ErpCustomerId:  a.ERPCustomerID,
		PaymentStatus:  paymentStatuses[a.PaymentStatus],
		OpenBalance:    moneyToProto(a.OpenBalance),
		OverdueBalance: moneyToProto(a.OverdueBalance),
		Etag:           a.ETag(),
		CreateTime:     timeToProto(a.CreateTime),
		UpdateTime:     timeToProto(a.UpdateTime),

		ParentAccountId: a.ParentID,
		BillingAddress:  addressToProto(a.Billing),
		ShippingAddress: addressToProto(a.Shipping),
		ExternalId:      a.ExternalID,
		Balances:        balancesToProto(a.Balances),
	}
}

func balancesToProto(bs []account.Balance) []*crmv1.AccountBalance {
	var out []*crmv1.AccountBalance
	for _, b := range bs {
		out = append(out, &crmv1.AccountBalance{
			CurrencyCode:   b.Currency,
			OpenBalance:    money.ToProto(money.Money{Currency: b.Currency, Amount: b.Open}),
			OverdueBalance: money.ToProto(money.Money{Currency: b.Currency, Amount: b.Overdue}),
			PaymentStatus:  paymentStatuses[b.Status()],
			Credit:         money.ToProto(money.Money{Currency: b.Currency, Amount: b.Credit}),
		})
	}
	return out
}

// accountInput takes the client-writable fields; read-only ones are ignored.
func accountInput(a *crmv1.Account) account.Input {
	return account.Input{
		Name: a.GetName(), Website: a.GetWebsite(), Industry: a.GetIndustry(), Owner: a.GetOwner(),
		ParentID: a.GetParentAccountId(), Billing: addressInput(a.GetBillingAddress()), Shipping: addressInput(a.GetShippingAddress()),
		ExternalID: a.GetExternalId(),
	}
}

func addressToProto(a account.Address) *crmv1.PostalAddress {
	if a.IsZero() {
		return nil
	}
	return &crmv1.PostalAddress{Street: a.Street, PostalCode: a.PostalCode, City: a.City, Region: a.Region, CountryCode: a.CountryCode}
}

func addressInput(a *crmv1.PostalAddress) account.Address {
	return account.Address{
		Street: a.GetStreet(), PostalCode: a.GetPostalCode(), City: a.GetCity(), Region: a.GetRegion(), CountryCode: a.GetCountryCode(),
	}
}

func contactToProto(c contact.Contact) *crmv1.Contact {
	return &crmv1.Contact{
		Id: c.ID, AccountId: c.AccountID, Name: c.Name, Email: c.Email, Phone: c.Phone, Title: c.Title, Role: c.Role,
		Owner: c.Owner, Etag: c.ETag(), CreateTime: timeToProto(c.CreateTime), UpdateTime: timeToProto(c.UpdateTime),
		ExternalId: c.ExternalID,
	}
}

// contactInput takes the client-writable fields; read-only ones are ignored.
func contactInput(c *crmv1.Contact) contact.Input {
	return contact.Input{
		AccountID: c.GetAccountId(), Name: c.GetName(), Email: c.GetEmail(), Phone: c.GetPhone(),
		Title: c.GetTitle(), Role: c.GetRole(), Owner: c.GetOwner(), ExternalID: c.GetExternalId(),
	}
}

func productToProto(p catalog.Product) *crmv1.Product {
	out := &crmv1.Product{
		Sku:             p.SKU,
		Name:            p.Name,
		ListPrice:       money.ToProto(p.ListPrice),
		UnitOfMeasure:   p.UnitOfMeasure,
		WholeQuantities: proto.Bool(p.WholeQuantities),
		Etag:            p.ETag(),
	}
	if a := p.Availability; a.Known {
		out.AvailableQuantity = a.Available.String()
		out.PromiseDate = civil.FormatDate(a.PromiseDate)
		out.AsOf = timeToProto(a.AsOf)
		if a.Schedule.Known {
			// What is available now, which the schedule as stored leaves
			// out, then its steps.
			out.PromiseSchedule = []*crmv1.PromisableQuantity{{Quantity: out.AvailableQuantity}}
			for _, st := range a.Schedule.Steps {
				out.PromiseSchedule = append(out.PromiseSchedule,
					&crmv1.PromisableQuantity{Date: civil.FormatDate(st.Date), Quantity: st.Quantity.String()})
			}
		}
	}
	return out
}

func opportunityToProto(o pipeline.Opportunity) *crmv1.Opportunity {
	out := &crmv1.Opportunity{
		Id:                o.ID,
		AccountId:         o.AccountID,
		Name:              o.Name,
		Stage:             stages[o.Stage],
		Probability:       o.Probability,
		CurrencyCode:      o.Currency,
		ExpectedCloseDate: civil.FormatDate(o.ExpectedCloseDate),
		Owner:             o.Owner,
		CampaignId:        o.CampaignID,
		Amount:            money.ToProto(o.Amount),
		PaymentStatus:     paymentStatuses[o.PaymentStatus],
		LostReason:        o.LostReason,
		Etag:              o.ETag(),
		CreateTime:        timeToProto(o.CreateTime),
		UpdateTime:        timeToProto(o.UpdateTime),
		CloseTime:         timeToProto(o.CloseTime),
		CloseOwner:        o.CloseOwner,
	}
	out.Lines = make([]*crmv1.OpportunityLine, len(o.Lines))
	for i, l := range o.Lines {
		pl := &crmv1.OpportunityLine{
			Sku:             l.SKU,
			Quantity:        l.Quantity.String(),
			UnitPrice:       money.ToProto(l.UnitPrice),
			DiscountPercent: l.DiscountPercent.String(),
			Amount:          money.ToProto(l.Amount),
			PromiseDate:     civil.FormatDate(l.PromiseDate),
			ProductName:     l.ProductName,
			UnitOfMeasure:   l.ProductUnit,
			WholeQuantities: l.ProductWholeQuantities,
		}
		if l.Available.Valid {
			pl.AvailableQuantity = l.Available.Decimal.String()
		}
		if f := l.Fulfilment; f != nil {
			pl.ReservedQuantity, pl.BackorderedQuantity, pl.ShippedQuantity = f.Reserved.String(), f.Backordered.String(), f.Shipped.String()
		}
		out.Lines[i] = pl
	}
	if ord := o.Order; ord != nil {
		out.Order = &crmv1.OrderRef{
			Id:         ord.ID,
			Number:     ord.Number,
			Status:     fulfillmentStatuses[ord.Status],
			UpdateTime: timeToProto(ord.UpdateTime),
		}
	}
	return out
}

// opportunityInput takes the client-writable fields; read-only ones are
// ignored. probabilityGiven says whether the probability was set.
func opportunityInput(o *crmv1.Opportunity, probabilityGiven bool) pipeline.Input {
	in := pipeline.Input{
		AccountID:         o.GetAccountId(),
		Name:              o.GetName(),
		Stage:             stageFromProto(o.GetStage()),
		Currency:          o.GetCurrencyCode(),
		ExpectedCloseDate: o.GetExpectedCloseDate(),
		Owner:             o.GetOwner(),
		CampaignID:        o.GetCampaignId(),
	}
	if probabilityGiven {
		p := o.GetProbability()
		in.Probability = &p
	}
	in.Lines = lineInputs(o.GetLines())
	return in
}

// lineInputs reads what a client writes of opportunity lines, and the
// fulfilment of an ERP order's lines, which only the bridge's
// SetOpportunityOrder reads.
func lineInputs(lines []*crmv1.OpportunityLine) []pipeline.LineInput {
	out := make([]pipeline.LineInput, len(lines))
	for i, l := range lines {
		out[i] = pipeline.LineInput{
			SKU:             l.GetSku(),
			Quantity:        l.GetQuantity(),
			UnitPrice:       moneyInput(l.GetUnitPrice()),
			DiscountPercent: l.GetDiscountPercent(),
			Reserved:        l.GetReservedQuantity(),
			Backordered:     l.GetBackorderedQuantity(),
			Shipped:         l.GetShippedQuantity(),
		}
	}
	return out
}

// Payloads renders resources as event payloads: the protojson of the
// resource with proto field names, as the REST API shows it.
type Payloads struct{}

var payloadJSON = protojson.MarshalOptions{UseProtoNames: true}

// EncodeAccount implements account.Encoder.
func (Payloads) EncodeAccount(a account.Account) ([]byte, error) {
	return payloadJSON.Marshal(accountToProto(a))
}

// EncodeContact implements contact.Encoder.
func (Payloads) EncodeContact(c contact.Contact) ([]byte, error) {
	return payloadJSON.Marshal(contactToProto(c))
}

// EncodeLead implements lead.Encoder.
func (Payloads) EncodeLead(l lead.Lead) ([]byte, error) {
	return payloadJSON.Marshal(leadToProto(l))
}

// EncodeActivity implements activity.Encoder.
func (Payloads) EncodeActivity(a activity.Activity) ([]byte, error) {
	return payloadJSON.Marshal(activityToProto(a))
}

// EncodeCase implements servicecase.Encoder.
func (Payloads) EncodeCase(c servicecase.Case, now time.Time) ([]byte, error) {
	return payloadJSON.Marshal(caseToProto(c, now))
}

// EncodeOpportunity implements pipeline.Encoder.
func (Payloads) EncodeOpportunity(o pipeline.Opportunity) ([]byte, error) {
	return payloadJSON.Marshal(opportunityToProto(o))
}

var (
	_ account.Encoder     = Payloads{}
	_ pipeline.Encoder    = Payloads{}
	_ contact.Encoder     = Payloads{}
	_ lead.Encoder        = Payloads{}
	_ activity.Encoder    = Payloads{}
	_ servicecase.Encoder = Payloads{}
)
