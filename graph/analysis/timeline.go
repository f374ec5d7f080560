package analysis

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
)

// EventKind is what an Event is.
type EventKind string

const (
	RelationStarted EventKind = "RELATION_STARTED" // a relation's validFrom
	RelationEnded   EventKind = "RELATION_ENDED"   // a relation's validTo
	Sanctioned      EventKind = "SANCTIONED"       // a sanction or regulation targeting the entity took effect
	AttributeDated  EventKind = "ATTRIBUTE"        // a dated attribute: a figure as of a date, or a date-valued fact
	SourcePublished EventKind = "SOURCE_PUBLISHED" // a source the entity cites was published
)

// EventKinds lists every kind, in the order events of one date are listed.
var EventKinds = []EventKind{Sanctioned, RelationStarted, RelationEnded, AttributeDated, SourcePublished}

// Event is one dated event about an entity. Relation is set for relation
// and sanction events, Entity for the entity at the other end (or the
// sanction), Attribute for attribute events.
type Event struct {
	Date        graph.Date
	Kind        EventKind
	Description string
	Relation    *graph.Relation
	Entity      *graph.Entity
	Attribute   *graph.Attribute
	Sources     []*graph.Source
}

// TimelineQuery asks for the events about ID dated within [From, To] (zero
// ends are open), at most First of them (0: all).
type TimelineQuery struct {
	ID       string
	From, To graph.Date
	First    int
}

// Timeline returns the dated events about q.ID in date order (by the first
// day each date covers, then the more precise date first, then kind and
// description), and how many there are in the range before First cut them.
// An unknown ID is CodeNotFound; From after To is CodeInvalid.
func (a *Analyzer) Timeline(ctx context.Context, q TimelineQuery) ([]Event, int, error) {
	if err := dateRange(q.From, q.To, "from", "to"); err != nil {
		return nil, 0, err
	}
	e, err := a.r.Entity(ctx, q.ID)
	if err != nil {
		return nil, 0, withPath(err, "id")
	}
	var events []Event
	add := func(ev Event) {
		if !ev.Date.IsZero() && overlaps(ev.Date, q.From, q.To) {
			events = append(events, ev)
		}
	}
	srcCache := map[string]*graph.Source{}
	sources := func(keys []string) ([]*graph.Source, error) {
		out := make([]*graph.Source, 0, len(keys))
		for _, k := range keys {
			s, ok := srcCache[k]
			if !ok {
				var err error
				if s, err = a.r.Source(ctx, k); err != nil {
					if graph.ErrorCode(err) != graph.CodeNotFound {
						return nil, err
					}
					s = nil
				}
				srcCache[k] = s
			}
			if s != nil {
				out = append(out, s)
			}
		}
		return out, nil
	}

	rels, err := a.r.Relations(ctx, graph.RelationFilter{Entity: q.ID})
	if err != nil {
		return nil, 0, err
	}
	for i, r := range rels {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
		}
		other, err := a.r.Entity(ctx, r.Other(q.ID))
		if err != nil {
			return nil, 0, err
		}
		from, to := e, other
		if r.From != q.ID {
			from, to = other, e
		}
		srcs, err := sources(r.Sources)
		if err != nil {
			return nil, 0, err
		}
		text := describe(r, from, to)
		if r.Type == graph.Targets && r.To == q.ID && r.From != q.ID {
			// The listing's own date, else when the relation started.
			date := r.ValidFrom
			if at, ok := other.Attr("date"); ok && at.Type == graph.AttrDate {
				if d, err := graph.ParseDate(at.Value); err == nil {
					date = d
				}
			}
			add(Event{Date: date, Kind: Sanctioned, Description: "Targeted by " + other.Name, Relation: r, Entity: other, Sources: srcs})
		} else {
			add(Event{Date: r.ValidFrom, Kind: RelationStarted, Description: text, Relation: r, Entity: other, Sources: srcs})
		}
		add(Event{Date: r.ValidTo, Kind: RelationEnded, Description: "Ended: " + text, Relation: r, Entity: other, Sources: srcs})
	}

	cited := slices.Clone(e.Sources)
	for i := range e.Attributes {
		at := &e.Attributes[i]
		cited = append(cited, at.Sources...)
		date := at.AsOf
		if at.Type == graph.AttrDate {
			if d, err := graph.ParseDate(at.Value); err == nil {
				date = d
			}
		}
		srcs, err := sources(at.Sources)
		if err != nil {
			return nil, 0, err
		}
		add(Event{Date: date, Kind: AttributeDated, Description: attrText(at), Attribute: at, Sources: srcs})
	}
	slices.Sort(cited)
	srcs, err := sources(slices.Compact(cited))
	if err != nil {
		return nil, 0, err
	}
	for _, s := range srcs {
		add(Event{Date: s.Published, Kind: SourcePublished, Description: "Published: " + s.Title + " (" + s.Publisher + ")", Sources: []*graph.Source{s}})
	}

	slices.SortStableFunc(events, func(a, b Event) int {
		return cmp.Or(
			cmp.Compare(a.Date.First(), b.Date.First()),
			cmp.Compare(a.Date.Last(), b.Date.Last()),
			cmp.Compare(slices.Index(EventKinds, a.Kind), slices.Index(EventKinds, b.Kind)),
			cmp.Compare(a.Description, b.Description),
			cmp.Compare(relID(a.Relation), relID(b.Relation)),
		)
	})
	total := len(events)
	if q.First > 0 && len(events) > q.First {
		events = events[:q.First]
	}
	return events, total, nil
}

func relID(r *graph.Relation) string {
	if r == nil {
		return ""
	}
	return r.ID
}

// attrText says an attribute in words: "revenue: 8030000000 USD (disputed)".
func attrText(a *graph.Attribute) string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(a.Name, "_", " "))
	b.WriteString(": ")
	b.WriteString(a.Value)
	if a.Unit != "" {
		b.WriteString(" " + a.Unit)
	}
	if a.Status == graph.StatusDisputed {
		b.WriteString(" (disputed)")
	}
	return b.String()
}
