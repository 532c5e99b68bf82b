package postgres

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/money"
)

// Vocabulary of the generated data set: company names are
// "<Brand><Trade> [<City>] <Form>", people "<First> <Last>", so prefixes
// select realistic fractions of the rows.
var (
	bulkBrands = strings.Fields(`Acme Alder Alpine Amber Apex Arbor Argent Atlas Aurora Azure Beacon Birch Blue Bright
Brook Cedar Cobalt Copper Coral Crest Crystal Delta Eagle Echo Elm Ember Falcon Fern Flint Forge Fox Frontier
Garnet Glacier Golden Granite Green Harbor Hawk Hazel Horizon Indigo Iron Ivory Jade Juniper Keystone Lake
Lantern Laurel Liberty Lumen Maple Marble Meadow Meridian Mesa Metro Midland Nimbus Noble North Nova Oak
Ocean Onyx Orbit Orchid Pacific Peak Pine Pioneer Polar Prairie Quartz Radiant Raven Redwood Ridge River
Sage Sierra Silver Solar Spruce Star Stone Summit Sun Swift Terra Timber Titan Union Valley Vertex Willow Zenith`)
	bulkTrades = strings.Fields(`Analytics Apparel Automation Bakery Brewing Builders Cargo Chemicals Clinics Cloud
Construction Consulting Dairy Data Dental Design Devices Digital Electric Energy Engineering Farms Finance Fitness
Foods Freight Furniture Games Glass Health Hotels Imaging Insurance Labs Logistics Machinery Media Medical Metals
Mining Motors Networks Optics Packaging Paper Pharma Plastics Power Printing Robotics Security Software Solar
Steel Systems Telecom Textiles Tools Travel Ventures Water Wireless`)
	bulkCities = strings.Fields(`Amsterdam Austin Berlin Boston Chicago Dublin Geneva Hamburg Lisbon London Lyon Madrid
Milan Munich Oslo Paris Porto Prague Seattle Stockholm Toronto Vienna Warsaw Zurich`)
	bulkForms  = strings.Fields(`AG BV Co GmbH Group Inc LLC Ltd Partners SA`)
	bulkFirsts = strings.Fields(`Aaron Adam Adrian Aisha Alba Alex Alice Amelia Ana Andrea Anna Arjun Ben Bianca
Carla Carlos Chen Chloe Clara Daniel David Diana Elena Elias Ella Emil Emma Eva Felix Fiona Gabriel Grace Hana
Hannah Hugo Ines Isaac Ivan Jack Jan Javier Jonas Julia Karim Kate Laura Lea Leo Lina Lucas Lucia Luis Maja
Marco Maria Mark Marta Mateo Max Maya Mia Michael Mila Nadia Nina Noah Nora Olga Oliver Omar Oscar Paul Paula
Pedro Peter Priya Rafael Rosa Ruth Sam Sara Sofia Sven Theo Tom Vera Victor Yara Yusuf Zoe`)
	bulkLasts = strings.Fields(`Adams Alvarez Andersen Bailey Baker Becker Berg Bianchi Brown Campbell Carter Castro
Chen Clark Cohen Collins Cooper Costa Cruz Davies Diaz Dubois Evans Fischer Fernandez Garcia Gomez Gonzalez
Green Hall Hansen Harris Hoffmann Hughes Jansen Johnson Jones Kaur Keller Khan Kim King Koch Kowalski Kumar Lambert
Larsen Lee Lewis Lopez Martin Martinez Meyer Miller Moore Morales Moreau Muller Murphy Nguyen Nielsen Novak Olsen
Ortiz Park Patel Perez Peters Petrov Popescu Ramos Reyes Richter Rivera Roberts Rossi Ruiz Santos Schmidt
Schneider Schulz Silva Singh Smith Sousa Stewart Suzuki Taylor Thomas Torres Turner Wagner Walker Weber White
Wilson Wood Wright Young Zhang`)
	bulkIndustries = strings.Fields(`manufacturing retail healthcare finance logistics software energy hospitality
construction education`)
	bulkTitles      = strings.Fields(`Buyer CEO CFO CTO Director Engineer Manager Owner Planner Specialist`)
	bulkRoles       = []string{"decision_maker", "influencer", "user", "billing", ""}
	bulkLeadSources = strings.Fields(`web referral event partner ads cold_call`)
)

// Weighted choices: stage and currency mixes of a typical pipeline.
var (
	bulkStages = []pipeline.Stage{
		pipeline.StageProspecting, pipeline.StageQualification, pipeline.StageProposal,
		pipeline.StageNegotiation, pipeline.StageClosedWon, pipeline.StageClosedLost,
	}
	bulkStageWeights    = []int{25, 20, 15, 10, 15, 15}
	bulkCurrencies      = []string{"EUR", "USD", "GBP", "CHF"}
	bulkCurrencyWeights = []int{50, 30, 12, 8}
	bulkLeadStatuses    = []string{"new", "working", "qualified", "disqualified", "converted"}
	bulkLeadWeights     = []int{35, 25, 15, 15, 10}
	bulkDiscounts       = []decimal.Decimal{decimal.Zero, decimal.NewFromInt(5), decimal.NewFromInt(10)}
)

// weighted picks an index of weights with probability proportional to it.
func weighted(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

func pick(r *rand.Rand, words []string) string { return words[r.IntN(len(words))] }

// rowRand is the random source of row i of a table: the same every call.
func rowRand(spec BulkSpec, table uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(spec.Seed^table<<56, uint64(i)+1))
}

func bulkSKU(p int) string { return fmt.Sprintf("LOAD-%05d", p) }

// bulkOwner is one of spec.Owners sales reps, some busier than others.
func bulkOwner(r *rand.Rand, owners int) string {
	o := r.IntN(owners)
	if r.IntN(3) == 0 {
		o = r.IntN(max(owners/4, 1))
	}
	return fmt.Sprintf("rep%02d", o+1)
}

type bulkAccount struct {
	name, website, industry, owner string
}

func genAccount(spec BulkSpec, a int) bulkAccount {
	r := rowRand(spec, 1, a)
	brand, trade := pick(r, bulkBrands), pick(r, bulkTrades)
	name := brand + " " + trade
	if r.IntN(3) > 0 {
		name += " " + pick(r, bulkCities)
	}
	name += " " + pick(r, bulkForms)
	domain := strings.ToLower(brand+trade) + fmt.Sprintf("%d.example", a)
	return bulkAccount{
		name: name, website: "https://www." + domain, industry: pick(r, bulkIndustries), owner: bulkOwner(r, spec.Owners),
	}
}

type bulkPerson struct {
	name, email, phone, title string
}

func genPerson(r *rand.Rand, domain string, n int) bulkPerson {
	first, last := pick(r, bulkFirsts), pick(r, bulkLasts)
	return bulkPerson{
		name:  first + " " + last,
		email: fmt.Sprintf("%s.%s%d@%s", strings.ToLower(first), strings.ToLower(last), n, domain),
		phone: fmt.Sprintf("+1 555 %07d", r.IntN(10000000)),
		title: pick(r, bulkTitles),
	}
}

type bulkOpportunity struct {
	stage              pipeline.Stage
	currency, owner    string
	account            int
	created, closeTime time.Time
	expectedClose      time.Time
	amount             decimal.Decimal
	lines              []bulkLine
	probability        int32
	lostReason         string
}

type bulkLine struct {
	sku                     string
	qty, price, disc, total decimal.Decimal
}

// genOpportunity regenerates opportunity i: created over the two years
// before now, expected to close two weeks to six months later, closed
// ones closed up to four months after creation (never after now).
func genOpportunity(spec BulkSpec, i int, now time.Time, prices []decimal.Decimal) bulkOpportunity {
	r := rowRand(spec, 3, i)
	o := bulkOpportunity{
		stage:    bulkStages[weighted(r, bulkStageWeights)],
		currency: bulkCurrencies[weighted(r, bulkCurrencyWeights)],
		owner:    bulkOwner(r, spec.Owners),
		account:  r.IntN(spec.Accounts),
	}
	o.probability = pipeline.DefaultProbability(o.stage)
	o.created = now.Add(-time.Duration(r.Int64N(int64(730 * 24 * time.Hour))))
	o.expectedClose = dateUTC(o.created.AddDate(0, 0, 14+r.IntN(170)))
	if o.stage.Closed() {
		o.closeTime = o.created.Add(time.Duration(r.Int64N(int64(120 * 24 * time.Hour))))
		if o.closeTime.After(now) {
			o.closeTime = now
		}
		if o.stage == pipeline.StageClosedLost {
			o.lostReason = pick(r, []string{"price", "competitor", "no budget", "timing"})
		}
	}
	n := 1 + r.IntN(2*spec.LinesPerOpportunity-1)
	o.lines = make([]bulkLine, n)
	o.amount = decimal.Zero
	for j := range o.lines {
		p := r.IntN(len(prices))
		l := bulkLine{
			sku: bulkSKU(p), qty: decimal.NewFromInt(int64(1 + r.IntN(20))), price: prices[p],
			disc: bulkDiscounts[r.IntN(len(bulkDiscounts))],
		}
		l.total = money.LineAmount(l.qty, money.Money{Currency: o.currency, Amount: l.price}, l.disc).Amount
		o.amount = o.amount.Add(l.total)
		o.lines[j] = l
	}
	return o
}
