package graph

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Lookup tells Validate what is already stored. A nil Lookup is an empty
// graph.
type Lookup interface {
	// EntityKind returns the kind of the stored entity id.
	EntityKind(id string) (Kind, bool)
	// HasSource reports whether a source with the key is stored.
	HasSource(key string) bool
}

var (
	attrNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	countryPattern  = regexp.MustCompile(`^[A-Z]{2}$`)
)

// Validate checks b on its own and against existing, returning every problem
// found (not only the first), each with a path such as "relations[3].to".
// Records deleted by b do not count as existing.
func Validate(b *Batch, existing Lookup) Errors {
	v := validator{b: b, existing: existing}
	return v.run()
}

type validator struct {
	b        *Batch
	existing Lookup
	errs     Errors
	sources  map[string]bool
	entities map[string]Kind
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, Errorf(CodeInvalid, path, format, args...))
}

func (v *validator) run() Errors {
	b := v.b
	deletedSources := toSet(b.DeleteSources)
	deletedEntities := toSet(b.DeleteEntities)

	v.sources = map[string]bool{}
	for i, s := range b.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		switch {
		case !ValidID(s.Key):
			v.fail(p+".key", "bad key %q: want lowercase letters, digits and single hyphens", s.Key)
		case v.sources[s.Key]:
			v.fail(p+".key", "duplicate source key %q", s.Key)
		case deletedSources[s.Key]:
			v.fail(p+".key", "source %q is both upserted and deleted", s.Key)
		}
		v.sources[s.Key] = true
		v.required(p+".title", s.Title)
		v.required(p+".publisher", s.Publisher)
		if s.URL == "" {
			v.fail(p+".url", "required")
		} else if u, err := url.Parse(s.URL); err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
			v.fail(p+".url", "bad URL %q: want an absolute URL", s.URL)
		}
		switch {
		case s.Undated && !s.Published.IsZero():
			v.fail(p+".published", "an undated source has no published date")
		case s.Undated && s.Retrieved.IsZero():
			v.fail(p+".retrieved", "required for an undated source")
		case !s.Undated && s.Published.IsZero():
			v.fail(p+".published", "required (n.d. for a document that shows no date)")
		}
	}

	v.entities = map[string]Kind{}
	for i, e := range b.Entities {
		p := fmt.Sprintf("entities[%d]", i)
		switch {
		case !ValidID(e.ID):
			v.fail(p+".id", "bad id %q: want lowercase letters, digits and single hyphens", e.ID)
		case v.entities[e.ID] != "":
			v.fail(p+".id", "duplicate entity id %q", e.ID)
		case deletedEntities[e.ID]:
			v.fail(p+".id", "entity %q is both upserted and deleted", e.ID)
		}
		if !e.Kind.Valid() {
			v.fail(p+".kind", "unknown kind %q", e.Kind)
		}
		v.entities[e.ID] = e.Kind
	}

	hasEntity := func(id string) (Kind, bool) {
		if k, ok := v.entities[id]; ok {
			return k, true
		}
		if deletedEntities[id] || v.existing == nil {
			return "", false
		}
		return v.existing.EntityKind(id)
	}
	hasSource := func(key string) bool {
		if v.sources[key] {
			return true
		}
		return !deletedSources[key] && v.existing != nil && v.existing.HasSource(key)
	}

	for i, e := range b.Entities {
		p := fmt.Sprintf("entities[%d]", i)
		v.required(p+".name", e.Name)
		seen := map[string]bool{Normalize(e.Name): true}
		for j, a := range e.Aliases {
			n := Normalize(a)
			if n == "" {
				v.fail(fmt.Sprintf("%s.aliases[%d]", p, j), "empty alias")
			} else if seen[n] {
				v.fail(fmt.Sprintf("%s.aliases[%d]", p, j), "alias %q repeats the name or another alias", a)
			}
			seen[n] = true
		}
		if e.Country != "" && !countryPattern.MatchString(e.Country) {
			v.fail(p+".country", "bad country %q: want an ISO 3166-1 alpha-2 code such as CN", e.Country)
		}
		schemes := map[string]bool{}
		for j, x := range e.ExternalIDs {
			xp := fmt.Sprintf("%s.externalIds[%d]", p, j)
			if x.Scheme == "" || x.Value == "" {
				v.fail(xp, "scheme and value are required")
			} else if schemes[x.Scheme] {
				v.fail(xp, "duplicate scheme %q", x.Scheme)
			}
			schemes[x.Scheme] = true
		}
		v.attributes(p+".attributes", e.Attributes, hasSource)
		v.cites(p+".sources", e.Sources, hasSource)
		v.origins(p+".origins", e.Origins)
	}

	relIDs := map[string]bool{}
	deletedRelations := toSet(b.DeleteRelations)
	for i, r := range b.Relations {
		p := fmt.Sprintf("relations[%d]", i)
		if r.ID == "" {
			r.ID = DefaultRelationID(r.From, r.Type, r.To)
		}
		switch {
		case !ValidRelationID(r.ID):
			v.fail(p+".id", "bad id %q: want lowercase letters, digits and hyphens", r.ID)
		case relIDs[r.ID]:
			v.fail(p+".id", "duplicate relation id %q", r.ID)
		case deletedRelations[r.ID]:
			v.fail(p+".id", "relation %q is both upserted and deleted", r.ID)
		}
		relIDs[r.ID] = true
		typeOK := r.Type.Valid()
		if !typeOK {
			v.fail(p+".type", "unknown relation type %q", r.Type)
		}
		fromKind, fromOK := hasEntity(r.From)
		if r.From == "" {
			v.fail(p+".from", "required")
		} else if !fromOK {
			v.fail(p+".from", "unknown entity %q", r.From)
		}
		toKind, toOK := hasEntity(r.To)
		if r.To == "" {
			v.fail(p+".to", "required")
		} else if !toOK {
			v.fail(p+".to", "unknown entity %q", r.To)
		}
		if r.From != "" && r.From == r.To {
			v.fail(p+".to", "a relation cannot join %q to itself", r.From)
		}
		if typeOK && fromOK && toOK {
			v.endpoints(p, r.Type, fromKind, toKind)
		}
		if r.Type == Supplies {
			if r.Category == "" {
				v.fail(p+".category", "required on SUPPLIES: one of %s", strings.Join(SupplyCategories, ", "))
			} else if !slices.Contains(SupplyCategories, r.Category) {
				v.fail(p+".category", "unknown category %q: want one of %s", r.Category, strings.Join(SupplyCategories, ", "))
			}
		} else if r.Category != "" && typeOK {
			v.fail(p+".category", "category is only allowed on SUPPLIES")
		}
		if !r.Status.Valid() {
			if r.Status == "" {
				v.fail(p+".status", "required: one of reported, confirmed, disputed, ended")
			} else {
				v.fail(p+".status", "unknown status %q: want reported, confirmed, disputed or ended", r.Status)
			}
		}
		if !r.ValidFrom.IsZero() && !r.ValidTo.IsZero() && r.ValidFrom.First() > r.ValidTo.Last() {
			v.fail(p+".validTo", "validTo %s is before validFrom %s", r.ValidTo, r.ValidFrom)
		}
		if r.FirstReported && r.ValidFrom.IsZero() {
			v.fail(p+".validFrom", "required when firstReported is true: the date the relation was first reported")
		}
		if r.Status == StatusEnded && r.ValidTo.IsZero() {
			v.fail(p+".validTo", "required when status is ended: the date the relation ended, as precise as its source")
		}
		v.attributes(p+".properties", r.Properties, hasSource)
		for j, a := range r.Properties {
			if a.Name != "process_node" {
				continue
			}
			if k, ok := hasEntity(a.Value); !ok || k != KindProcessNode {
				v.fail(fmt.Sprintf("%s.properties[%d].value", p, j), "process_node %q is not a PROCESS_NODE entity", a.Value)
			}
		}
		v.cites(p+".sources", r.Sources, hasSource)
		v.origins(p+".origins", r.Origins)
	}

	for i, id := range b.DeleteRelations {
		if !ValidRelationID(id) {
			v.fail(fmt.Sprintf("deleteRelations[%d]", i), "bad relation id %q", id)
		}
	}
	for i, id := range b.DeleteEntities {
		if !ValidID(id) {
			v.fail(fmt.Sprintf("deleteEntities[%d]", i), "bad entity id %q", id)
		}
	}
	for i, key := range b.DeleteSources {
		if !ValidID(key) {
			v.fail(fmt.Sprintf("deleteSources[%d]", i), "bad source key %q", key)
		}
	}
	return v.errs
}

// endpoints checks the kinds a relation type may join.
func (v *validator) endpoints(p string, t RelationType, from, to Kind) {
	switch t {
	case Targets, IssuedBy:
		if from != KindSanction && from != KindRegulation {
			v.fail(p+".from", "%s must start at a SANCTION or REGULATION, not a %s", t, from)
		}
	}
	switch t {
	case IssuedBy:
		if to != KindGovernmentBody {
			v.fail(p+".to", "ISSUED_BY must end at a GOVERNMENT_BODY, not a %s", to)
		}
	case LocatedIn:
		if to != KindCountry {
			v.fail(p+".to", "LOCATED_IN must end at a COUNTRY, not a %s", to)
		}
	}
}

func (v *validator) origins(path string, list []Origin) {
	for j, o := range list {
		if o.Dataset == "" || o.Edition == "" {
			v.fail(fmt.Sprintf("%s[%d]", path, j), "dataset and edition are required")
		}
	}
}

func (v *validator) required(path, s string) {
	if strings.TrimSpace(s) == "" {
		v.fail(path, "required")
	}
}

func (v *validator) cites(path string, keys []string, has func(string) bool) {
	if len(keys) == 0 {
		v.fail(path, "at least one source is required")
	}
	for j, k := range keys {
		if !has(k) {
			v.fail(fmt.Sprintf("%s[%d]", path, j), "unknown source %q", k)
		}
	}
}

func (v *validator) attributes(path string, list []Attribute, hasSource func(string) bool) {
	for j, a := range list {
		p := fmt.Sprintf("%s[%d]", path, j)
		if !attrNamePattern.MatchString(a.Name) {
			v.fail(p+".name", "bad name %q: want lowercase snake_case", a.Name)
		}
		if err := CheckValue(a.Type, a.Value); err != nil {
			v.fail(p+".value", "%v", err)
		}
		if a.Status != "" && !a.Status.Valid() {
			v.fail(p+".status", "unknown status %q", a.Status)
		}
		v.cites(p+".sources", a.Sources, hasSource)
	}
}

// CheckValue reports whether value is the canonical text of a value of type t.
func CheckValue(t AttrType, value string) error {
	switch t {
	case AttrString:
		if value == "" {
			return fmt.Errorf("empty string value")
		}
	case AttrNumber:
		// ParseFloat also reads NaN and Inf, which no source gives and
		// which JSON, GraphQL and the exports cannot carry.
		f, err := strconv.ParseFloat(value, 64)
		switch {
		case err != nil:
			return fmt.Errorf("%q is not a number", value)
		case math.IsNaN(f) || math.IsInf(f, 0):
			return fmt.Errorf("%q is not a finite number", value)
		}
	case AttrBool:
		if value != "true" && value != "false" {
			return fmt.Errorf("%q is not a bool: want true or false", value)
		}
	case AttrDate:
		if _, err := ParseDate(value); err != nil || value == "" {
			return fmt.Errorf("%q is not a date: want YYYY, YYYY-MM or YYYY-MM-DD", value)
		}
	default:
		return fmt.Errorf("unknown attribute type %q: want string, number, date or bool", t)
	}
	return nil
}

func toSet(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}
