package loaders

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
)

// FollowTheMoney (FtM): one entity a line, {id, schema, properties,
// datasets}, every property a list of strings. Entities keep their ids;
// relations become interval entities with id "rel." + the relation id (a
// dot never occurs in entity ids), and the sources cited Documents with id
// "src." + the key. Besides the FtM properties each line carries the
// chipgraph record itself under "chipgraph" (an extension FtM readers
// ignore), so nothing is lost: disputed attribute values stay there side
// by side, each with its status and sources.
//
// Schemata: COMPANY Company; FUND and RESEARCH_ORG Organization;
// GOVERNMENT_BODY PublicBody; CHIP, MEMORY, SYSTEM, SOFTWARE, MODEL,
// EQUIPMENT and PROCESS_NODE Asset; SANCTION (one listing or control
// action, which may list many entities) and REGULATION Event; COUNTRY
// Address. Each TARGETS relation from a SANCTION to an entity written as a
// Thing is a Sanction, FtM's designation of one entity: entity the target,
// program the action's name, authority the names of its issuers (those in
// the export: it is a function of the selection), listingDate the
// action's date, provisions its legal citation, startDate/endDate the
// designation's validity. INVESTS_IN is Ownership (owner the investor,
// asset the investee, percentage the stake), SUBSIDIARY_OF Ownership
// (owner the parent, asset the child), every other relation UnknownLink
// (subject from, object to, role the type); all carry startDate/endDate
// from validFrom/validTo. Every entity and interval names its sources as
// proof (the Documents, with title, publisher and publishedAt), sourceUrl
// and publisher.

// FtMSchema returns the FtM schema an entity of kind k is written as.
func FtMSchema(k graph.Kind) string {
	switch k {
	case graph.KindCompany:
		return "Company"
	case graph.KindFund, graph.KindResearchOrg:
		return "Organization"
	case graph.KindGovernmentBody:
		return "PublicBody"
	case graph.KindSanction, graph.KindRegulation:
		return "Event"
	case graph.KindCountry:
		return "Address"
	}
	return "Asset"
}

// FtMRelationID is the FtM id of the relation id.
func FtMRelationID(id string) string { return "rel." + id }

// FtMSourceID is the FtM id of the source key.
func FtMSourceID(key string) string { return "src." + key }

type ftmProps struct {
	o *exportJSONObject
}

func (p ftmProps) add(name string, values ...string) {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	if n == 0 {
		return
	}
	p.o.key(name)
	p.o.b = append(p.o.b, '[')
	first := true
	for _, v := range values {
		if v == "" {
			continue
		}
		if !first {
			p.o.b = append(p.o.b, ',')
		}
		first = false
		p.o.b = exportAppendJSON(p.o.b, v)
	}
	p.o.b = append(p.o.b, ']')
}

func (x *exporter) ftm() error {
	var o exportJSONObject
	end := func(v any) error {
		rec, err := json.Marshal(v)
		if err != nil {
			return err
		}
		o.raw("chipgraph", string(rec))
		o.close()
		o.b = append(o.b, '\n')
		x.w.Write(o.b)
		return x.tick()
	}
	// provenance adds the sources of a record and of its attributes.
	provenance := func(p ftmProps, keys []string, attrs []graph.Attribute) {
		var urls, publishers, proof []string
		for _, k := range keys {
			if so := x.sources[k]; so != nil {
				urls = append(urls, so.URL)
				if !slices.Contains(publishers, so.Publisher) {
					publishers = append(publishers, so.Publisher)
				}
			}
		}
		for _, k := range slices.Concat(keys, attrSources(attrs)) {
			if id := FtMSourceID(k); !slices.Contains(proof, id) {
				proof = append(proof, id)
			}
		}
		p.add("sourceUrl", urls...)
		p.add("publisher", publishers...)
		p.add("proof", proof...)
	}
	_, _, srcs, extra, err := x.closure()
	if err != nil {
		return err
	}
	list := x.g.Entities
	if len(extra) > 0 {
		// In id order, as an export of a store holding them all lists them.
		list = slices.Concat(list, extra)
		slices.SortStableFunc(list, func(a, b *graph.Entity) int { return strings.Compare(a.ID, b.ID) })
	}
	byID := make(map[string]*graph.Entity, len(list))
	for _, e := range list {
		byID[e.ID] = e
	}
	// The issuers of each sanction the selection holds, so that the
	// export is a function of the selection alone.
	issuers := map[string][]string{}
	for _, r := range x.g.Relations {
		if r.Type == graph.IssuedBy && byID[r.To] != nil {
			issuers[r.From] = append(issuers[r.From], byID[r.To].Name)
		}
	}
	entity := func(e *graph.Entity) error {
		schema := FtMSchema(e.Kind)
		o.b = o.b[:0]
		o.open()
		o.str("id", e.ID)
		o.str("schema", schema)
		o.key("properties")
		p := ftmProps{&o}
		o.open()
		if schema == "Address" {
			p.add("full", e.Name)
		} else {
			p.add("name", e.Name)
			p.add("alias", e.Aliases...)
		}
		p.add("country", strings.ToLower(e.Country))
		if schema != "Address" {
			p.add("description", e.Description)
		}
		provenance(p, e.Sources, e.Attributes)
		for _, id := range e.ExternalIDs {
			switch {
			case id.Scheme == "wikidata":
				p.add("wikidataId", id.Value)
			case id.Scheme == "lei" && schema != "Asset" && schema != "Event" && schema != "Address":
				p.add("leiCode", id.Value)
			case id.Scheme == "ticker" && schema == "Company":
				p.add("ticker", id.Value)
			}
		}
		o.close()
		o.key("datasets")
		o.b = append(o.b, `["chipgraph"]`...)
		return end(e)
	}
	for _, e := range list {
		if err := entity(e); err != nil {
			return err
		}
	}
	for _, r := range x.g.Relations {
		o.b = o.b[:0]
		o.open()
		o.str("id", FtMRelationID(r.ID))
		p := ftmProps{&o}
		from, to := byID[r.From], byID[r.To]
		switch {
		case r.Type == graph.InvestsIn, r.Type == graph.SubsidiaryOf:
			o.str("schema", "Ownership")
			o.key("properties")
			o.open()
			owner, asset := r.From, r.To
			if r.Type == graph.SubsidiaryOf {
				owner, asset = r.To, r.From
			}
			p.add("owner", owner)
			p.add("asset", asset)
			p.add("role", string(r.Type))
			if a, ok := r.Prop("stake"); ok {
				p.add("percentage", a.Value)
			}
		case r.Type == graph.Targets && from != nil && from.Kind == graph.KindSanction && to != nil && FtMSchema(to.Kind) != "Event":
			o.str("schema", "Sanction")
			o.key("properties")
			o.open()
			p.add("entity", r.To)
			p.add("program", from.Name)
			p.add("authority", issuers[from.ID]...)
			if a, ok := from.Attr("date"); ok {
				p.add("listingDate", a.Value)
			}
			if a, ok := from.Attr("legal_citation"); ok {
				p.add("provisions", a.Value)
			}
			p.add("country", strings.ToLower(from.Country))
		default:
			o.str("schema", "UnknownLink")
			o.key("properties")
			o.open()
			p.add("subject", r.From)
			p.add("object", r.To)
			p.add("role", string(r.Type))
		}
		p.add("startDate", exportDate(r.ValidFrom))
		p.add("endDate", exportDate(r.ValidTo))
		p.add("summary", r.Note)
		provenance(p, r.Sources, r.Properties)
		o.close()
		o.key("datasets")
		o.b = append(o.b, `["chipgraph"]`...)
		if err := end(r); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(srcs))
	for k := range srcs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		so, err := x.store.Source(x.ctx, k)
		if graph.ErrorCode(err) == graph.CodeNotFound {
			continue
		}
		if err != nil {
			return err
		}
		o.b = o.b[:0]
		o.open()
		o.str("id", FtMSourceID(so.Key))
		o.str("schema", "Document")
		o.key("properties")
		p := ftmProps{&o}
		o.open()
		p.add("title", so.Title)
		p.add("sourceUrl", so.URL)
		p.add("publisher", so.Publisher)
		p.add("publishedAt", exportDate(so.Published))
		p.add("retrievedAt", exportDate(so.Retrieved))
		o.close()
		o.key("datasets")
		o.b = append(o.b, `["chipgraph"]`...)
		if err := end(so); err != nil {
			return err
		}
	}
	return nil
}

// attrSources lists the sources the attributes cite, in order.
func attrSources(attrs []graph.Attribute) []string {
	var keys []string
	for _, a := range attrs {
		keys = append(keys, a.Sources...)
	}
	return keys
}
