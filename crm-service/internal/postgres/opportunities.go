package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

const opportunityCols = `id, account_id, name, stage, probability, currency_code, expected_close_date, owner,
amount, lost_reason, payment_status, order_id, order_number, order_status, order_update_time, order_version,
close_time, payment_version, version, create_time, update_time, campaign_id, close_owner, name_fold`

// Each filter column has an index (column, id); campaign_id has
// (campaign_id, stage), whose few rows per campaign are sorted by id.
var opportunityFilterCols = map[string]string{
	"account_id": "account_id", "stage": "stage", "owner": "owner", "currency_code": "currency_code",
	"campaign_id": "campaign_id",
}

// Lines are read joined to their products, so the product name, unit,
// whole-quantities flag and availability on a line are always the
// catalog's current ones.
const lineCols = `l.opportunity_id, l.sku, l.quantity, l.unit_price, l.discount_percent, l.amount,
p.name, p.unit_of_measure, p.whole_quantities, p.available, p.availability_version IS NOT NULL, p.promise_date, p.promise_schedule,
l.reserved_quantity, l.backordered_quantity, l.shipped_quantity`

const linesOfOneSQL = `SELECT ` + lineCols + `
FROM opportunity_lines l JOIN products p ON p.sku = l.sku
WHERE l.opportunity_id = $1 ORDER BY l.position`

const linesOfManySQL = `SELECT ` + lineCols + `
FROM opportunity_lines l JOIN products p ON p.sku = l.sku
WHERE l.opportunity_id = ANY($1::uuid[]) ORDER BY l.opportunity_id, l.position`

func scanOpportunity(row pgx.Row) (pipeline.Opportunity, error) {
	var o pipeline.Opportunity
	var closeDate, orderTime, closeTime *time.Time
	var orderID, orderNumber, orderStatus *string
	var orderVersion, paymentVersion *int64
	var campaignID, closeOwner *string
	err := row.Scan(&o.ID, &o.AccountID, &o.Name, &o.Stage, &o.Probability, &o.Currency, &closeDate, &o.Owner,
		&o.Amount.Amount, &o.LostReason, &o.PaymentStatus, &orderID, &orderNumber, &orderStatus, &orderTime, &orderVersion,
		&closeTime, &paymentVersion, &o.Version, &o.CreateTime, &o.UpdateTime, &campaignID, &closeOwner, &o.NameFold)
	if err != nil {
		return pipeline.Opportunity{}, err
	}
	if closeOwner != nil {
		o.CloseOwner = *closeOwner
	}
	if campaignID != nil {
		o.CampaignID = *campaignID
	}
	if paymentVersion != nil {
		o.PaymentVersion = *paymentVersion
	}
	o.Amount.Currency = o.Currency
	if closeDate != nil {
		o.ExpectedCloseDate = dateUTC(*closeDate)
	}
	if closeTime != nil {
		o.CloseTime = *closeTime
	}
	if orderStatus != nil {
		ord := &pipeline.Order{Status: pipeline.FulfillmentStatus(*orderStatus)}
		if orderID != nil {
			ord.ID = *orderID
		}
		if orderNumber != nil {
			ord.Number = *orderNumber
		}
		if orderTime != nil {
			ord.UpdateTime = *orderTime
		}
		if orderVersion != nil {
			ord.SourceVersion = *orderVersion
		}
		o.Order = ord
	}
	return o, nil
}

// scanLine reads a line of lineCols; its money gets the opportunity's
// currency when attached.
func scanLine(row pgx.Row) (string, pipeline.Line, error) {
	var oppID string
	var l pipeline.Line
	var available decimal.NullDecimal
	var known bool
	var promise *time.Time
	var schedule []byte
	var reserved, backordered, shipped decimal.NullDecimal
	err := row.Scan(&oppID, &l.SKU, &l.Quantity, &l.UnitPrice.Amount, &l.DiscountPercent, &l.Amount.Amount,
		&l.ProductName, &l.ProductUnit, &l.ProductWholeQuantities, &available, &known, &promise, &schedule, &reserved, &backordered, &shipped)
	if err != nil {
		return "", pipeline.Line{}, err
	}
	if l.ProductSchedule, err = scanSchedule(schedule); err != nil {
		return "", pipeline.Line{}, err
	}
	l.Available = decimal.NullDecimal{Decimal: available.Decimal, Valid: known}
	if promise != nil {
		l.ProductPromiseDate = dateUTC(*promise)
	}
	// The three are NULL together (a constraint of migration 0025).
	if reserved.Valid {
		l.Fulfilment = &pipeline.Fulfilment{Reserved: reserved.Decimal, Backordered: backordered.Decimal, Shipped: shipped.Decimal}
	}
	return oppID, l, nil
}

func attachLines(o *pipeline.Opportunity, lines []pipeline.Line) {
	for i := range lines {
		lines[i].UnitPrice.Currency = o.Currency
		lines[i].Amount.Currency = o.Currency
	}
	o.Lines = lines
}

// queueOne queues the reading of one opportunity (locked when lock is set)
// and its lines; *found reports whether it exists.
func queueOne(b *pgx.Batch, id string, lock bool, o *pipeline.Opportunity, found *bool) {
	sql := `SELECT ` + opportunityCols + ` FROM opportunities WHERE id = $1`
	if lock {
		pg.QueueKeyLock(b, "opportunities/"+id)
		sql += ` FOR UPDATE`
	}
	b.Queue(sql, id).QueryRow(func(row pgx.Row) error {
		got, err := scanOpportunity(row)
		if pg.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read opportunity %s: %w", id, err)
		}
		*o, *found = got, true
		return nil
	})
	b.Queue(linesOfOneSQL, id).Query(func(rows pgx.Rows) error {
		var lines []pipeline.Line
		for rows.Next() {
			_, l, err := scanLine(rows)
			if err != nil {
				return fmt.Errorf("read lines of opportunity %s: %w", id, err)
			}
			lines = append(lines, l)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read lines of opportunity %s: %w", id, err)
		}
		// Runs after the opportunity's callback: the batch is read in order.
		attachLines(o, lines)
		return nil
	})
}

// GetOpportunity implements pipeline.Store: the opportunity and its lines
// in one round trip.
func (s *Store) GetOpportunity(ctx context.Context, id string) (pipeline.Opportunity, error) {
	var o pipeline.Opportunity
	var found bool
	b := &pgx.Batch{}
	queueOne(b, id, false, &o, &found)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return pipeline.Opportunity{}, err
	}
	if !found {
		return pipeline.Opportunity{}, errs.NotFoundf("opportunity %q", id)
	}
	return o, nil
}

// opportunitySortFields are the orders of ListOpportunities; each has an
// index (field, id), amount's with currency_code before it (an amount
// sort needs a currency filter), name's on (name_fold, name). None has an (owner, field, id) index, to
// keep the writes of the most written table cheap: an owner's sorted page
// reads the order's index keeping the owner's rows, or the owner's rows
// from the owner index, sorted.
var opportunitySortFields = map[string]sortField{
	"amount":      plainSort("amount", decimalKey),
	"close_date":  plainSort(closeDateSortSQL, dateOrLastKey),
	"name":        foldedSort("name_fold", "name"),
	"stage":       plainSort(stageSortSQL, stageKey),
	"create_time": plainSort("create_time", timeKey),
}

// closeDateSortSQL sorts opportunities without an expected close date
// after every date. Indexes on it must spell it the same way.
const closeDateSortSQL = `coalesce(expected_close_date, 'infinity'::date)`

// stageSortSQL is a stage's place in the pipeline (pipeline.Stages),
// from 1. Indexes on it must spell it the same way.
var stageSortSQL = func() string {
	var b strings.Builder
	b.WriteString("(CASE stage")
	for i, s := range pipeline.Stages {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", s, i+1)
	}
	b.WriteString(" END)")
	return b.String()
}()

// stageKey reads a stage name as its place in the pipeline.
func stageKey(s string) (any, bool) {
	i := slices.Index(pipeline.Stages, pipeline.Stage(s))
	return i + 1, i >= 0
}

func listOpportunitiesSQL(q pipeline.Query) (string, []any, error) {
	ks, err := listKeyset(opportunitySortFields, q.Order, q.AfterKey, q.After)
	if err != nil {
		return "", nil, err
	}
	return keysetQuery(`SELECT `+opportunityCols+` FROM opportunities`, opportunityFilterCols, q.Equal, nil, nil, ks, q.Limit)
}

// ListOpportunities implements pipeline.Store: one query for the page and
// one for the lines of all its opportunities.
func (s *Store) ListOpportunities(ctx context.Context, q pipeline.Query) ([]pipeline.Opportunity, bool, error) {
	sql, args, err := listOpportunitiesSQL(q)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list opportunities: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pipeline.Opportunity, error) { return scanOpportunity(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list opportunities: %w", err)
	}
	more := len(list) > q.Limit
	if more {
		list = list[:q.Limit]
	}
	if len(list) == 0 {
		return list, false, nil
	}
	ids := make([]string, len(list))
	at := make(map[string]int, len(list))
	for i, o := range list {
		ids[i] = o.ID
		at[o.ID] = i
	}
	rows, err = s.pool.Query(ctx, linesOfManySQL, ids)
	if err != nil {
		return nil, false, fmt.Errorf("list opportunity lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		oppID, l, err := scanLine(rows)
		if err != nil {
			return nil, false, fmt.Errorf("list opportunity lines: %w", err)
		}
		o := &list[at[oppID]]
		l.UnitPrice.Currency, l.Amount.Currency = o.Currency, o.Currency
		o.Lines = append(o.Lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list opportunity lines: %w", err)
	}
	return list, more, nil
}

// CreateOpportunity implements pipeline.Store. One round trip begins the
// transaction and reads what validation needs (and the request id), one
// writes the opportunity with its lines and event and commits.
func (s *Store) CreateOpportunity(ctx context.Context, m pipeline.Mutation, accountID string, build func(pipeline.Refs) (pipeline.Opportunity, pipeline.Event, error)) (pipeline.Opportunity, error) {
	var out pipeline.Opportunity
	err := onceMore(func() error {
		var refs pipeline.Refs
		var used *usedKey
		var o pipeline.Opportunity
		err := pg.InTxBatchCommit(ctx, s.pool, func(b *pgx.Batch) {
			refs, used = pipeline.Refs{Products: make(map[string]catalog.Product, len(m.SKUs))}, nil
			queueActor(ctx, b)
			if m.RequestID != "" {
				lookupKey(b, m.RequestID, &used)
			}
			if accountID != "" {
				b.Queue(`SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, accountID).QueryRow(func(row pgx.Row) error {
					return row.Scan(&refs.AccountExists)
				})
			}
			queueProducts(b, m.SKUs, refs.Products)
		}, func() (*pgx.Batch, error) {
			if used != nil {
				return nil, errReplayOf(used)
			}
			var ev pipeline.Event
			var err error
			if o, ev, err = build(refs); err != nil {
				return nil, err
			}
			w := &pgx.Batch{}
			if m.RequestID != "" {
				recordKey(ctx, w, m.RequestID, m.Method, o.ID)
			}
			queueInsertOpportunity(w, o)
			if err := queueEvent(ctx, w, ev.Type, ev.Key, ev.Payload); err != nil {
				return nil, err
			}
			return w, nil
		})
		switch {
		case err == nil:
			out = o
			return nil
		case pg.IsForeignKeyViolation(err, "opportunities_account_id_fkey"):
			return errs.Invalid("account_id", "account %q not found", o.AccountID)
		case pg.IsForeignKeyViolation(err, "opportunities_campaign_id_fkey"):
			return errs.Invalid("campaign_id", "campaign %q not found", o.CampaignID)
		}
		return err
	})
	return created(ctx, err, out, m.Method, s.GetOpportunity)
}

func date(t time.Time) pgtype.Date { return pgtype.Date{Time: t, Valid: !t.IsZero()} }

func timestamp(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// queueInsertOpportunity queues the insertion of o with its lines.
func queueInsertOpportunity(b *pgx.Batch, o pipeline.Opportunity) {
	b.Queue(`INSERT INTO opportunities (id, account_id, name, stage, probability, currency_code,
expected_close_date, owner, amount, lost_reason, payment_status, version, create_time, update_time, campaign_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		o.ID, o.AccountID, o.Name, o.Stage, o.Probability, o.Currency, date(o.ExpectedCloseDate), o.Owner,
		o.Amount.Amount, o.LostReason, o.PaymentStatus, o.Version, o.CreateTime, o.UpdateTime, nullable(o.CampaignID))
	queueInsertLines(b, o.ID, o.Lines)
}

// queueInsertLines queues one statement inserting all lines.
func queueInsertLines(b *pgx.Batch, oppID string, lines []pipeline.Line) {
	if len(lines) == 0 {
		return
	}
	n := len(lines)
	skus := make([]string, n)
	qty, price, disc, amount := make([]decimal.Decimal, n), make([]decimal.Decimal, n), make([]decimal.Decimal, n), make([]decimal.Decimal, n)
	for i, l := range lines {
		skus[i] = l.SKU
		qty[i], price[i], disc[i], amount[i] = l.Quantity, l.UnitPrice.Amount, l.DiscountPercent, l.Amount.Amount
	}
	f := fulfilmentColumns(lines)
	b.Queue(`INSERT INTO opportunity_lines (opportunity_id, position, sku, quantity, unit_price, discount_percent, amount,
reserved_quantity, backordered_quantity, shipped_quantity)
SELECT $1, u.pos, u.sku, u.qty, u.price, u.disc, u.amount, u.reserved, u.backordered, u.shipped
FROM unnest($2::int[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[])
  AS u(pos, sku, qty, price, disc, amount, reserved, backordered, shipped)`,
		oppID, f.pos, skus, qty, price, disc, amount, f.reserved, f.backordered, f.shipped)
}

// queueSetFulfilment queues one statement writing the fulfilment of every
// line, which keep their content.
func queueSetFulfilment(b *pgx.Batch, oppID string, lines []pipeline.Line) {
	if len(lines) == 0 {
		return
	}
	f := fulfilmentColumns(lines)
	b.Queue(`UPDATE opportunity_lines l
SET reserved_quantity = u.reserved, backordered_quantity = u.backordered, shipped_quantity = u.shipped
FROM unnest($2::int[], $3::numeric[], $4::numeric[], $5::numeric[]) AS u(pos, reserved, backordered, shipped)
WHERE l.opportunity_id = $1 AND l.position = u.pos`,
		oppID, f.pos, f.reserved, f.backordered, f.shipped)
}

// lineFulfilment holds the positions and fulfilment of lines as columns,
// NULL for a line without.
type lineFulfilment struct {
	pos                            []int32
	reserved, backordered, shipped []decimal.NullDecimal
}

func fulfilmentColumns(lines []pipeline.Line) lineFulfilment {
	n := len(lines)
	c := lineFulfilment{pos: make([]int32, n), reserved: make([]decimal.NullDecimal, n),
		backordered: make([]decimal.NullDecimal, n), shipped: make([]decimal.NullDecimal, n)}
	for i, l := range lines {
		c.pos[i] = int32(i)
		if f := l.Fulfilment; f != nil {
			c.reserved[i] = decimal.NullDecimal{Decimal: f.Reserved, Valid: true}
			c.backordered[i] = decimal.NullDecimal{Decimal: f.Backordered, Valid: true}
			c.shipped[i] = decimal.NullDecimal{Decimal: f.Shipped, Valid: true}
		}
	}
	return c
}

// MutateOpportunity implements pipeline.Store: one round trip begins the
// transaction, locks and reads the opportunity, its lines, the products
// asked for and the request id; one writes the change with its event and
// commits.
func (s *Store) MutateOpportunity(ctx context.Context, id string, m pipeline.Mutation, fn func(pipeline.Opportunity, map[string]catalog.Product) (pipeline.Change, error)) (pipeline.Opportunity, error) {
	var out pipeline.Opportunity
	err := onceMore(func() error {
		var cur pipeline.Opportunity
		var found bool
		var used *usedKey
		var products map[string]catalog.Product
		var ch pipeline.Change
		err := pg.InTxBatchCommit(ctx, s.pool, func(b *pgx.Batch) {
			cur, found, used = pipeline.Opportunity{}, false, nil
			products = make(map[string]catalog.Product, len(m.SKUs))
			queueActor(ctx, b)
			queueOne(b, id, true, &cur, &found)
			queueProducts(b, m.SKUs, products)
			if m.RequestID != "" {
				// After the lock, so a concurrent call with the same
				// request id has committed its key by now.
				lookupKey(b, m.RequestID, &used)
			}
		}, func() (*pgx.Batch, error) {
			if !found {
				return nil, errs.NotFoundf("opportunity %q", id)
			}
			if used != nil {
				if err := checkKey(ctx, used, m.Method, id); err != nil {
					return nil, err
				}
				ch = pipeline.Change{Opportunity: cur, Unchanged: true}
				return nil, nil
			}
			var err error
			if ch, err = fn(cur, products); err != nil {
				return nil, err
			}
			if ch.Unchanged {
				ch.Opportunity = cur
				return nil, nil
			}
			w := &pgx.Batch{}
			if m.RequestID != "" {
				recordKey(ctx, w, m.RequestID, m.Method, id)
			}
			queueUpdate(w, ch.Opportunity)
			switch {
			case ch.LinesChanged:
				w.Queue(`DELETE FROM opportunity_lines WHERE opportunity_id = $1`, id)
				queueInsertLines(w, id, ch.Opportunity.Lines)
			case ch.FulfilmentChanged:
				queueSetFulfilment(w, id, ch.Opportunity.Lines)
			}
			if ch.Event != nil {
				if err := queueEvent(ctx, w, ch.Event.Type, ch.Event.Key, ch.Event.Payload); err != nil {
					return nil, err
				}
			}
			return w, nil
		})
		switch {
		case err == nil:
			out = ch.Opportunity
			return nil
		case pg.IsForeignKeyViolation(err, "opportunities_campaign_id_fkey"):
			return errs.Invalid("campaign_id", "campaign %q not found", ch.Opportunity.CampaignID)
		}
		return err
	})
	if err != nil {
		return pipeline.Opportunity{}, err
	}
	return out, nil
}

// DeleteOpportunity implements pipeline.Store: one round trip begins the
// transaction, locks and reads the opportunity, the activities that name
// it and the leads converted into it; one writes the activities and the
// leads, deletes the opportunity (its lines go with it), records the
// events and commits.
func (s *Store) DeleteOpportunity(ctx context.Context, id string, fn func(pipeline.Opportunity, []activity.Activity) (pipeline.Deletion, error)) error {
	var cur pipeline.Opportunity
	var found bool
	var activities []activity.Activity
	var leads []lead.Lead
	return pg.InTxBatchCommit(ctx, s.pool, func(b *pgx.Batch) {
		cur, found, activities, leads = pipeline.Opportunity{}, false, nil, nil
		queueActor(ctx, b)
		queueOne(b, id, true, &cur, &found)
		queueLinkedActivities(b, "opportunity_id", id, &activities)
		queueLinkedLeads(b, lead.LinkOpportunity, id, &leads)
	}, func() (*pgx.Batch, error) {
		if !found {
			return nil, errs.NotFoundf("opportunity %q", id)
		}
		d, err := fn(cur, activities)
		if err != nil {
			return nil, err
		}
		w := &pgx.Batch{}
		if err := queueWriteLinks(ctx, w, d.Activities); err != nil {
			return nil, err
		}
		if err := s.queueUnlinkLeads(ctx, w, leads, lead.LinkOpportunity); err != nil {
			return nil, err
		}
		w.Queue(`DELETE FROM opportunities WHERE id = $1`, id)
		if err := queueEvent(ctx, w, d.Event.Type, d.Event.Key, d.Event.Payload); err != nil {
			return nil, err
		}
		return w, nil
	})
}

func queueUpdate(b *pgx.Batch, o pipeline.Opportunity) {
	var ordID, ordNumber, ordStatus *string
	var ordTime pgtype.Timestamptz
	var ordVersion, paymentVersion *int64
	if o.PaymentVersion > 0 {
		paymentVersion = &o.PaymentVersion
	}
	if o.Order != nil {
		// A won deal's order is pending without an id, number or ERP
		// revision until the bridge reports it: those stay NULL, as
		// before the win, so the win changes no column it leaves alone.
		status := string(o.Order.Status)
		ordID, ordNumber, ordStatus = nullable(o.Order.ID), nullable(o.Order.Number), &status
		ordTime = timestamp(o.Order.UpdateTime)
		if o.Order.SourceVersion > 0 {
			ordVersion = &o.Order.SourceVersion
		}
	}
	b.Queue(`UPDATE opportunities SET name = $2, stage = $3, probability = $4, currency_code = $5,
expected_close_date = $6, owner = $7, amount = $8, lost_reason = $9, payment_status = $10,
order_id = $11, order_number = $12, order_status = $13, order_update_time = $14, order_version = $15,
close_time = $16, version = $17, update_time = $18, payment_version = $19, campaign_id = $20
WHERE id = $1`,
		o.ID, o.Name, o.Stage, o.Probability, o.Currency, date(o.ExpectedCloseDate), o.Owner, o.Amount.Amount,
		o.LostReason, o.PaymentStatus, ordID, ordNumber, ordStatus, ordTime, ordVersion,
		timestamp(o.CloseTime), o.Version, o.UpdateTime, paymentVersion, nullable(o.CampaignID)).Exec(func(ct pgconn.CommandTag) error {
		// The row is locked since the transaction's first round trip, so
		// this cannot happen; the check runs after the commit.
		if ct.RowsAffected() != 1 {
			return fmt.Errorf("update opportunity %s: %d rows", o.ID, ct.RowsAffected())
		}
		return nil
	})
}
