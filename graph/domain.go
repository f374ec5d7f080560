// Package graph holds chipgraph's domain model (entities, relations, sources),
// the Store interface every storage adapter implements, and the cayley-backed
// store. It depends on no HTTP, GraphQL or loader code.
package graph

import (
	"regexp"
	"slices"
)

// Kind is the kind of an entity.
type Kind string

const (
	KindCompany        Kind = "COMPANY"
	KindChip           Kind = "CHIP"
	KindMemory         Kind = "MEMORY"
	KindSystem         Kind = "SYSTEM"
	KindSoftware       Kind = "SOFTWARE"
	KindModel          Kind = "MODEL"
	KindEquipment      Kind = "EQUIPMENT"
	KindProcessNode    Kind = "PROCESS_NODE"
	KindFund           Kind = "FUND"
	KindGovernmentBody Kind = "GOVERNMENT_BODY"
	KindResearchOrg    Kind = "RESEARCH_ORG"
	KindSanction       Kind = "SANCTION"
	KindRegulation     Kind = "REGULATION"
	KindCountry        Kind = "COUNTRY"
)

// Kinds lists every entity kind in a stable order.
var Kinds = []Kind{
	KindCompany, KindChip, KindMemory, KindSystem, KindSoftware, KindModel,
	KindEquipment, KindProcessNode, KindFund, KindGovernmentBody,
	KindResearchOrg, KindSanction, KindRegulation, KindCountry,
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// RelationType is the type of a relation. The direction of each is documented
// beside it: from -> to.
type RelationType string

const (
	Designs       RelationType = "DESIGNS"        // designer -> chip/system/software
	Fabricates    RelationType = "FABRICATES"     // foundry -> chip; property process_node
	Supplies      RelationType = "SUPPLIES"       // supplier -> customer; Category, Product
	UsesComponent RelationType = "USES_COMPONENT" // product -> component
	CustomerOf    RelationType = "CUSTOMER_OF"    // customer -> supplier
	InvestsIn     RelationType = "INVESTS_IN"     // investor -> investee; properties amount, stake
	SubsidiaryOf  RelationType = "SUBSIDIARY_OF"  // child -> parent
	PartnersWith  RelationType = "PARTNERS_WITH"  // symmetric in meaning
	CompetesWith  RelationType = "COMPETES_WITH"  // symmetric in meaning
	Targets       RelationType = "TARGETS"        // sanction/regulation -> entity
	IssuedBy      RelationType = "ISSUED_BY"      // sanction/regulation -> government body
	RunsOn        RelationType = "RUNS_ON"        // model/software -> chip/system
	LocatedIn     RelationType = "LOCATED_IN"     // entity -> country
)

// RelationTypes lists every relation type in a stable order.
var RelationTypes = []RelationType{
	Designs, Fabricates, Supplies, UsesComponent, CustomerOf, InvestsIn,
	SubsidiaryOf, PartnersWith, CompetesWith, Targets, IssuedBy, RunsOn, LocatedIn,
}

// Valid reports whether t is a known relation type.
func (t RelationType) Valid() bool { return slices.Contains(RelationTypes, t) }

// SupplyCategories are the values Relation.Category may take on SUPPLIES.
var SupplyCategories = []string{
	"memory", "foundry", "equipment", "eda", "ip", "packaging", "materials", "software",
}

// Status is how well a relation or attribute is established.
type Status string

const (
	StatusReported  Status = "reported"
	StatusConfirmed Status = "confirmed"
	StatusDisputed  Status = "disputed"
	StatusEnded     Status = "ended"
)

// Statuses lists every status.
var Statuses = []Status{StatusReported, StatusConfirmed, StatusDisputed, StatusEnded}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// AttrType is the value type of an Attribute.
type AttrType string

const (
	AttrString AttrType = "string"
	AttrNumber AttrType = "number"
	AttrDate   AttrType = "date"
	AttrBool   AttrType = "bool"
)

// AttrTypes lists every attribute type.
var AttrTypes = []AttrType{AttrString, AttrNumber, AttrDate, AttrBool}

// Attribute is one typed, sourced, dated fact about an entity or relation.
// Value holds the canonical text of the value: a decimal number for
// AttrNumber, a Date string for AttrDate, "true"/"false" for AttrBool. Two
// attributes may share a Name when sources disagree; Status then tells which
// is disputed.
type Attribute struct {
	Name    string   `json:"name"`
	Type    AttrType `json:"type"`
	Value   string   `json:"value"`
	Unit    string   `json:"unit,omitempty"`
	AsOf    Date     `json:"asOf,omitzero"`
	Status  Status   `json:"status,omitempty"`
	Note    string   `json:"note,omitempty"`
	Sources []string `json:"sources"`
}

// ExternalID is an identifier of the entity in another system: scheme is
// e.g. "wikidata", "ticker", "lei", "eto".
type ExternalID struct {
	Scheme string `json:"scheme"`
	Value  string `json:"value"`
}

// Entity is a node of the graph.
type Entity struct {
	ID          string       `json:"id"`
	Kind        Kind         `json:"kind"`
	Name        string       `json:"name"`
	Aliases     []string     `json:"aliases,omitempty"`
	Country     string       `json:"country,omitempty"`
	Description string       `json:"description,omitempty"`
	Attributes  []Attribute  `json:"attributes,omitempty"`
	ExternalIDs []ExternalID `json:"externalIds,omitempty"`
	Sources     []string     `json:"sources"`
	Origins     []Origin     `json:"origins,omitempty"`
}

// Attr returns the first attribute named name that is not disputed, or the
// first one of that name at all, and whether there was one.
func (e *Entity) Attr(name string) (Attribute, bool) { return findAttr(e.Attributes, name) }

// Relation is a typed, dated, sourced edge From -> To.
type Relation struct {
	ID         string       `json:"id"`
	Type       RelationType `json:"type"`
	From       string       `json:"from"`
	To         string       `json:"to"`
	Category   string       `json:"category,omitempty"`
	Product    string       `json:"product,omitempty"`
	Properties []Attribute  `json:"properties,omitempty"`
	ValidFrom  Date         `json:"validFrom,omitzero"`
	ValidTo    Date         `json:"validTo,omitzero"`
	// FirstReported says ValidFrom is only the date the relation was first
	// reported (the earliest source, or a dataset's edition), not a known
	// start: the relation may have held earlier.
	FirstReported bool     `json:"firstReported,omitempty"`
	Status        Status   `json:"status"`
	Note          string   `json:"note,omitempty"`
	Sources       []string `json:"sources"`
	Origins       []Origin `json:"origins,omitempty"`
}

// Prop returns the relation's property named name (see Entity.Attr).
func (r *Relation) Prop(name string) (Attribute, bool) { return findAttr(r.Properties, name) }

// ValidAt reports whether r holds on date d: its validity interval, taken at
// the precision its dates have, overlaps d's. A zero d matches every relation.
func (r *Relation) ValidAt(d Date) bool {
	if d.IsZero() {
		return true
	}
	if !r.ValidFrom.IsZero() && r.ValidFrom.First() > d.Last() {
		return false
	}
	if !r.ValidTo.IsZero() && r.ValidTo.Last() < d.First() {
		return false
	}
	return true
}

// Other returns the endpoint of r that is not id.
func (r *Relation) Other(id string) string {
	if r.From == id {
		return r.To
	}
	return r.From
}

func findAttr(list []Attribute, name string) (Attribute, bool) {
	var first *Attribute
	for i := range list {
		a := &list[i]
		if a.Name != name {
			continue
		}
		if a.Status != StatusDisputed {
			return *a, true
		}
		if first == nil {
			first = a
		}
	}
	if first == nil {
		return Attribute{}, false
	}
	return *first, true
}

// Origin is where an imported record came from: a dataset, its edition and
// the record within it. A record merged from several datasets has one
// Origin per dataset row; hand-curated records have none (their sources
// say where each fact comes from).
type Origin struct {
	Dataset string `json:"dataset"`          // loader format name: "eto", "csl", "dod1260h", "ftm", "csv"
	Edition string `json:"edition"`          // the dataset's version: a date, a commit, a file digest
	Record  string `json:"record,omitempty"` // row number or record id within the edition
}

// Source is a public document that facts cite by Key.
//
// Published is the date the document shows, at its precision. A page that
// shows none is Undated (cited "n.d." with its Retrieved date, as citation
// styles do) rather than given a date guessed from its content.
type Source struct {
	Key       string `json:"key"`
	Title     string `json:"title"`
	URL       string `json:"url"`
	Publisher string `json:"publisher"`
	Published Date   `json:"published,omitzero"`
	Undated   bool   `json:"undated,omitempty"`
	Retrieved Date   `json:"retrieved,omitzero"`
	Quote     string `json:"quote,omitempty"`
}

// DefaultRelationID is the id a relation gets when its author gives none.
func DefaultRelationID(from string, t RelationType, to string) string {
	return from + "--" + lowerType(t) + "--" + to
}

func lowerType(t RelationType) string {
	b := []byte(t)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c == '_':
			b[i] = '-'
		}
	}
	return string(b)
}

var (
	idPattern  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	relPattern = regexp.MustCompile(`^[a-z0-9]+(-{1,2}[a-z0-9]+)*$`)
)

// ValidID reports whether s is a valid entity id or source key: a slug of
// lowercase letters and digits separated by single hyphens.
func ValidID(s string) bool { return len(s) <= 200 && idPattern.MatchString(s) }

// ValidRelationID is ValidID that also allows the double hyphens of
// DefaultRelationID.
func ValidRelationID(s string) bool { return len(s) <= 400 && relPattern.MatchString(s) }
