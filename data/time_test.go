package data_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
)

// Time rules of the curated data (issue 11): every relation says when it
// held, and the dates of related records agree. Each failure names the
// relation's id and where it is, e.g. "relations-designers.yaml:340:
// relations[163] (tsmc--supplies--kunlunxin-foundry)".

// curatedRelation is a relation of the curated batch with its position.
type curatedRelation struct {
	*graph.Relation
	where string
}

func (r curatedRelation) String() string { return fmt.Sprintf("%s (%s)", r.where, r.ID) }

func curatedRelations(t *testing.T) ([]curatedRelation, map[string]*graph.Entity) {
	t.Helper()
	_, c := curated(t)
	rels := make([]curatedRelation, len(c.Batch.Relations))
	for i := range c.Batch.Relations {
		where, _ := c.Locate(fmt.Sprintf("relations[%d]", i))
		rels[i] = curatedRelation{&c.Batch.Relations[i], where}
	}
	ents := map[string]*graph.Entity{}
	for i := range c.Batch.Entities {
		ents[c.Batch.Entities[i].ID] = &c.Batch.Entities[i]
	}
	return rels, ents
}

// end is the last day r holds, as a sortable yyyymmdd number; an open
// relation holds for ever.
func end(r *graph.Relation) int {
	if r.ValidTo.IsZero() {
		return math.MaxInt
	}
	return r.ValidTo.Last()
}

func TestEveryRelationHasValidFrom(t *testing.T) {
	rels, _ := curatedRelations(t)
	for _, r := range rels {
		if r.ValidFrom.IsZero() {
			t.Errorf("%s: no validFrom: give its start, or its earliest source's date with firstReported: true", r)
		}
	}
}

func TestEndedHasValidTo(t *testing.T) {
	rels, _ := curatedRelations(t)
	for _, r := range rels {
		if r.Status == graph.StatusEnded && r.ValidTo.IsZero() {
			t.Errorf("%s: status ended without validTo", r)
		}
	}
}

// existenceAttrs are the attributes that date an entity's beginning:
// founding for organisations, announcement or launch for products, the
// date of a sanction or regulation (which may be made public later).
var existenceAttrs = []string{"founded", "established", "announced", "launched", "released", "presented", "date"}

// existsFrom is the earliest date an entity's non-disputed existence
// attributes give, and the attribute.
func existsFrom(e *graph.Entity) (graph.Date, string, bool) {
	var best graph.Date
	name := ""
	for _, a := range e.Attributes {
		if !slices.Contains(existenceAttrs, a.Name) || a.Status == graph.StatusDisputed {
			continue
		}
		d, err := graph.ParseDate(a.Value)
		if err != nil || d.IsZero() {
			continue
		}
		if best.IsZero() || d.First() < best.First() {
			best, name = d, a.Name
		}
	}
	return best, name, !best.IsZero()
}

// A relation cannot start before either endpoint existed: its validFrom,
// taken at its precision, must not lie wholly before the entity's founding
// or a product's announcement. A product's designer works on it before it
// is announced, so the product end of DESIGNS is exempt.
func TestRelationsStartAfterEndpointsExist(t *testing.T) {
	rels, ents := curatedRelations(t)
	checked := 0
	for _, r := range rels {
		for _, id := range []string{r.From, r.To} {
			if r.Type == graph.Designs && id == r.To {
				continue
			}
			e := ents[id]
			if e == nil {
				continue
			}
			d, attr, ok := existsFrom(e)
			if !ok {
				continue
			}
			checked++
			if r.ValidFrom.Last() < d.First() {
				t.Errorf("%s: validFrom %s is before %s existed (%s %s)", r, r.ValidFrom, id, attr, d)
			}
		}
	}
	t.Logf("%d relation ends checked against a founding or announcement date", checked)
	if checked < 100 {
		t.Errorf("only %d relation ends have a founding or announcement date to check, want at least 100", checked)
	}
}

// Two relations of one pair contradict each other in time when
//   - a CUSTOMER_OF B->A and the SUPPLIES A->B it mirrors (of the same
//     product when both name one, else every supply of the pair) disagree
//     on whether the tie has ended: one is open (no validTo) while the
//     other, or every one of the others, has ended; or
//   - two relations of the same type and pair (and the same product, or no
//     product on one) overlap in time while one is ended and the other is
//     reported or confirmed;
//
// unless one of them is disputed (its note then says why). A CUSTOMER_OF
// and the SUPPLIES it mirrors describe one tie, so a note alone cannot
// reconcile two ends: give them different products, or mark the doubtful
// one disputed.
func TestPairsAgreeInTime(t *testing.T) {
	rels, _ := curatedRelations(t)
	type pair struct {
		from string
		typ  graph.RelationType
		to   string
	}
	by := map[pair][]curatedRelation{}
	for _, r := range rels {
		p := pair{r.From, r.Type, r.To}
		by[p] = append(by[p], r)
	}
	disputed := func(r *graph.Relation) bool { return r.Status == graph.StatusDisputed }
	for _, c := range rels {
		if c.Type != graph.CustomerOf || disputed(c.Relation) {
			continue
		}
		var supplies []curatedRelation
		for _, s := range by[pair{c.To, graph.Supplies, c.From}] {
			if !disputed(s.Relation) && (c.Product == "" || s.Product == "" || s.Product == c.Product) {
				supplies = append(supplies, s)
			}
		}
		if len(supplies) == 0 {
			continue
		}
		latest := supplies[0]
		for _, s := range supplies[1:] {
			if end(s.Relation) > end(latest.Relation) {
				latest = s
			}
		}
		open := func(r *graph.Relation) bool { return r.ValidTo.IsZero() }
		if open(c.Relation) != open(latest.Relation) {
			t.Errorf("%s and %s disagree on whether the tie has ended (validTo %q and %q)", c, latest, c.ValidTo, latest.ValidTo)
		}
	}
	conflicting := func(a, b graph.Status) bool {
		live := func(s graph.Status) bool { return s == graph.StatusReported || s == graph.StatusConfirmed }
		return (a == graph.StatusEnded && live(b)) || (b == graph.StatusEnded && live(a))
	}
	for _, list := range by {
		for i, a := range list {
			for _, b := range list[i+1:] {
				if a.Product != "" && b.Product != "" && a.Product != b.Product {
					continue
				}
				overlap := a.ValidFrom.First() <= end(b.Relation) && b.ValidFrom.First() <= end(a.Relation)
				if overlap && conflicting(a.Status, b.Status) && !disputed(a.Relation) && !disputed(b.Relation) {
					t.Errorf("%s (%s) and %s (%s) overlap in time with conflicting status", a, a.Status, b, b.Status)
				}
			}
		}
	}
}

// hasLicence reports whether r carries a licence or license property.
func hasLicence(r *graph.Relation) bool {
	for _, p := range r.Properties {
		if strings.Contains(p.Name, "licence") || strings.Contains(p.Name, "license") {
			return true
		}
	}
	return false
}

// A firm outside China that supplies a Chinese firm after a sanction
// issued outside China targeted it (a TARGETS from a dated SANCTION whose
// ISSUED_BY body is not Chinese: the Entity List, say) must say how: a
// licence property, a note, or status disputed.
func TestNoForeignSupplyToListedFirmAfterListing(t *testing.T) {
	rels, ents := curatedRelations(t)
	// Sanctions issued outside China: China's own actions (an antitrust
	// probe of Nvidia, say) do not bar foreign firms from supplying.
	foreignIssued := map[string]bool{}
	for _, r := range rels {
		// The DoD's 1260H designations bar Pentagon contracts, not supply.
		if b := ents[r.To]; r.Type == graph.IssuedBy && b != nil && b.Country != "" && b.Country != "CN" && b.ID != "us-dod" {
			foreignIssued[r.From] = true
		}
	}
	// A listing holds from the sanction's date until its TARGETS relation
	// ends (a list withdrawn, a rule suspended).
	type listing struct {
		sanction string
		date     graph.Date
		until    int // the TARGETS relation's end, as end gives it
	}
	listings := map[string][]listing{} // target -> its listings
	for _, r := range rels {
		if r.Type != graph.Targets || !foreignIssued[r.From] {
			continue
		}
		s := ents[r.From]
		if s == nil || s.Kind != graph.KindSanction || ents[r.To] == nil || ents[r.To].Country != "CN" {
			continue
		}
		a, ok := s.Attr("date")
		if !ok {
			continue
		}
		d, err := graph.ParseDate(a.Value)
		if err != nil || d.IsZero() {
			continue
		}
		listings[r.To] = append(listings[r.To], listing{s.ID, d, end(r.Relation)})
	}
	checked := 0
	for _, r := range rels {
		from := ents[r.From]
		if r.Type != graph.Supplies || len(listings[r.To]) == 0 || from == nil || from.Country == "" || from.Country == "CN" {
			continue
		}
		checked++
		if hasLicence(r.Relation) || strings.TrimSpace(r.Note) != "" || r.Status == graph.StatusDisputed {
			continue
		}
		for _, l := range listings[r.To] {
			// The supply holds on some day after the listing's date on
			// which the listing still holds.
			if after := l.date.Last(); end(r.Relation) > after && l.until > after && r.ValidFrom.First() <= l.until {
				t.Errorf("%s: %s (%s) supplies %s after %s (%s) with no licence property, no note and not disputed",
					r, r.From, from.Country, r.To, l.sanction, l.date)
				break
			}
		}
	}
	t.Logf("%d foreign supplies to sanctioned firms checked", checked)
}
