// Package demo loads the local stack's demo data through the public APIs:
// items with stock in the ERP, accounts and open opportunities in the CRM.
// Loading twice changes nothing: every create carries a request id derived
// from the record it makes.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

var namespace = uuid.MustParse("5b0e7c1e-3f4a-4f7e-9a51-6d0c2f9b8e21")

// RequestID derives a stable request id from a name.
func RequestID(name string) string { return uuid.NewSHA1(namespace, []byte(name)).String() }

type item struct {
	sku, name, price, stock string
}

// Items is the demo catalog: about twenty items, a few with no stock.
var Items = []item{
	{"PUMP-100", "Centrifugal pump P-100", "1290.00", "40"},
	{"PUMP-200", "Centrifugal pump P-200", "1890.00", "12"},
	{"PUMP-300", "Submersible pump S-300", "2450.00", "0"},
	{"VALVE-010", "Ball valve DN10", "18.50", "500"},
	{"VALVE-025", "Ball valve DN25", "34.90", "320"},
	{"VALVE-050", "Butterfly valve DN50", "129.00", "75"},
	{"MOTOR-075", "Electric motor 0.75 kW", "310.00", "60"},
	{"MOTOR-220", "Electric motor 2.2 kW", "585.00", "25"},
	{"MOTOR-550", "Electric motor 5.5 kW", "1120.00", "4"},
	{"SENSOR-P1", "Pressure sensor 0-10 bar", "89.00", "210"},
	{"SENSOR-T1", "Temperature sensor PT100", "42.00", "340"},
	{"SENSOR-F1", "Flow meter DN25", "640.00", "8"},
	{"PIPE-025", "Steel pipe DN25, 6 m", "56.00", "150"},
	{"PIPE-050", "Steel pipe DN50, 6 m", "98.00", "90"},
	{"SEAL-KIT", "Mechanical seal kit", "74.50", "0"},
	{"CTRL-100", "Pump controller C-100", "890.00", "18"},
	{"CTRL-200", "Pump controller C-200 with display", "1340.00", "6"},
	{"FILTER-10", "Inline filter 10 micron", "64.00", "120"},
	{"TANK-500", "Pressure tank 500 l", "1780.00", "3"},
	{"SERVICE-H", "Commissioning, per hour", "95.00", "1000"},
}

type account struct{ name, website, industry, owner string }

// Accounts are the demo companies.
var Accounts = []account{
	{"Nordwind Bau GmbH", "nordwind-bau.example", "construction", "ana"},
	{"Aquaterra Utilities", "aquaterra.example", "utilities", "ben"},
	{"Brightfield Farms", "brightfield.example", "agriculture", "ana"},
	{"Helios Chemicals SA", "helios-chem.example", "chemicals", "carla"},
	{"Portside Breweries", "portside-brew.example", "food and beverage", "ben"},
}

type line struct{ sku, qty, discount string }

type opportunity struct {
	account, name string
	stage         crmv1.Stage
	lines         []line
}

// Opportunities are the open demo deals.
var Opportunities = []opportunity{
	{"Nordwind Bau GmbH", "Site dewatering pumps", crmv1.Stage_STAGE_PROPOSAL, []line{{"PUMP-200", "4", "5"}, {"CTRL-100", "4", "0"}}},
	{"Aquaterra Utilities", "Valve replacement 2027", crmv1.Stage_STAGE_NEGOTIATION, []line{{"VALVE-025", "120", "10"}, {"VALVE-050", "30", "10"}}},
	{"Brightfield Farms", "Irrigation upgrade", crmv1.Stage_STAGE_QUALIFICATION, []line{{"PUMP-300", "2", "0"}, {"SENSOR-F1", "2", "0"}, {"SERVICE-H", "16", "0"}}},
	{"Helios Chemicals SA", "Process monitoring", crmv1.Stage_STAGE_PROSPECTING, []line{{"SENSOR-P1", "40", "7.5"}, {"SENSOR-T1", "40", "7.5"}}},
}

// Clients are the APIs the loader calls (with an admin token attached).
type Clients struct {
	Accounts      crmv1.AccountServiceClient
	Opportunities crmv1.OpportunityServiceClient
	Products      crmv1.ProductServiceClient
	Items         erpv1.ItemServiceClient
	Stock         erpv1.StockServiceClient
}

// NewClients builds the clients on a CRM and an ERP connection.
func NewClients(crm, erp grpc.ClientConnInterface) Clients {
	return Clients{
		Accounts:      crmv1.NewAccountServiceClient(crm),
		Opportunities: crmv1.NewOpportunityServiceClient(crm),
		Products:      crmv1.NewProductServiceClient(crm),
		Items:         erpv1.NewItemServiceClient(erp),
		Stock:         erpv1.NewStockServiceClient(erp),
	}
}

func eur(amount string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "EUR", Amount: amount} }

// Load creates the demo data, waiting for the bridge to mirror the items
// into the CRM catalog before opportunities use them.
func Load(ctx context.Context, c Clients) error {
	for _, it := range Items {
		_, err := c.Items.CreateItem(ctx, &erpv1.CreateItemRequest{
			Item: &erpv1.Item{
				Sku: it.sku, Name: it.name, UnitOfMeasure: "ea",
				ListPrice: eur(it.price), StandardCost: eur(cost(it.price)), TaxRate: "0.19",
			},
			RequestId: RequestID("item " + it.sku),
		})
		if err != nil && status.Code(err) != codes.AlreadyExists {
			return fmt.Errorf("create item %s: %w", it.sku, err)
		}
		if it.stock == "0" {
			continue
		}
		_, err = c.Stock.CreateStockAdjustment(ctx, &erpv1.CreateStockAdjustmentRequest{
			StockAdjustment: &erpv1.StockAdjustment{Sku: it.sku, Warehouse: "MAIN", Quantity: it.stock, Reason: "receipt"},
			RequestId:       RequestID("opening stock " + it.sku),
		})
		if err != nil {
			return fmt.Errorf("receive stock of %s: %w", it.sku, err)
		}
	}

	accounts := map[string]string{}
	for _, a := range Accounts {
		acc, err := c.Accounts.CreateAccount(ctx, &crmv1.CreateAccountRequest{
			Account:   &crmv1.Account{Name: a.name, Website: a.website, Industry: a.industry, Owner: a.owner},
			RequestId: RequestID("account " + a.name),
		})
		if err != nil {
			return fmt.Errorf("create account %s: %w", a.name, err)
		}
		accounts[a.name] = acc.GetId()
	}

	if err := waitForCatalog(ctx, c, len(Items)); err != nil {
		return err
	}
	for _, o := range Opportunities {
		opp := &crmv1.Opportunity{
			AccountId: accounts[o.account], Name: o.name, Stage: o.stage, CurrencyCode: "EUR",
			ExpectedCloseDate: time.Now().AddDate(0, 2, 0).Format("2006-01-02"),
			Owner:             "ana",
		}
		for _, l := range o.lines {
			opp.Lines = append(opp.Lines, &crmv1.OpportunityLine{Sku: l.sku, Quantity: l.qty, DiscountPercent: l.discount})
		}
		if _, err := c.Opportunities.CreateOpportunity(ctx, &crmv1.CreateOpportunityRequest{
			Opportunity: opp, RequestId: RequestID("opportunity " + o.name),
		}); err != nil {
			return fmt.Errorf("create opportunity %s: %w", o.name, err)
		}
	}
	return nil
}

// cost is the demo standard cost: 60 % of the list price, in cents.
func cost(price string) string {
	var units, cents int64
	_, _ = fmt.Sscanf(price, "%d.%d", &units, &cents)
	total := (units*100 + cents) * 60 / 100
	return fmt.Sprintf("%d.%02d", total/100, total%100)
}

func waitForCatalog(ctx context.Context, c Clients, want int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		resp, err := c.Products.ListProducts(ctx, &crmv1.ListProductsRequest{PageSize: 1000})
		if err == nil && len(resp.GetProducts()) >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the bridge did not mirror %d items into the CRM catalog in time (last error: %w)", want, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
