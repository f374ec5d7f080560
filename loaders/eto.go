package loaders

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
)

// ETOHome is the public home of the ETO dataset as its README gives it; the
// loader takes the URL from the folder's README.md when there is one.
const ETOHome = "https://eto.tech/dataset-docs/chipexplorer"

// ReadETODir reads the ETO Advanced Semiconductor Supply Chain dataset
// from the folder dir (see ReadETO).
func ReadETODir(dir string, opt Options) (*Dataset, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, openError(dir, err)
	}
	if !st.IsDir() {
		return nil, graph.Errorf(graph.CodeInvalid, dir, "the eto format reads a folder holding inputs.csv, providers.csv, provision.csv and sequence.csv")
	}
	return ReadETO(os.DirFS(dir), dir, opt)
}

// ReadETO reads the ETO Advanced Semiconductor Supply Chain dataset
// (Georgetown CSET's Emerging Technology Observatory, "Chip Explorer") from
// the CSV files inputs.csv, providers.csv, provision.csv and sequence.csv
// at the root of fsys; display is how messages name that folder.
//
// Mapping (chipgraph has no kind for materials, processes or stages, so the
// nearest kind is used and ETO's own type is kept as the attribute
// eto_type):
//
//   - providers of type organization are COMPANY entities with external id
//     eto:P..., the alias column as an alias (a provider repeated with
//     another alias gains it) and the ISO-3 country turned
//     into ISO-2; providers of type country are COUNTRY entities named by
//     the alias column ("China"), which resolve to the curated countries
//     (china, united-states, ...). "Various countries" is skipped.
//   - inputs (external id eto:N..., description, attributes eto_type,
//     stage, market_size): tool_resource -> EQUIPMENT; material_resource ->
//     EQUIPMENT (materials are supplied inputs like tools; there is no
//     MATERIAL kind), except "Core intellectual property" -> SOFTWARE;
//     design_resource (logic, memory and DAO chip design, CPUs, GPUs, FPGAs,
//     AI ASICs) -> CHIP, as categories of chips; ultimate_output -> CHIP;
//     process -> EQUIPMENT (a process groups the tools and materials it
//     uses), except design processes -> CHIP and "EDA and Core IP" ->
//     SOFTWARE.
//   - provision rows: provider SUPPLIES input, category equipment for
//     tools, materials for materials, ip for core IP, eda for EDA; for
//     design resources provider DESIGNS input instead. Properties share
//     (number, unit percent, asOf the year) when share_provided is given,
//     and year (date), which is also validFrom with FirstReported (the
//     year the share is reported for, not a start); the free-text source
//     column is the relation's note.
//     Rows whose provided_id is a stage (S1, S2, S3: a share of a whole
//     stage) are skipped: stages have no entity kind.
//   - sequence goes_into: "A goes into B" becomes B USES_COMPONENT A (the
//     product uses the input), so the direction is reversed.
//   - sequence is_type_of: no relation type fits "A is a type of B", so A
//     gets the attribute type_of = B's name (note: B's eto id).
//   - stages are kept as the stage attribute of inputs; stages.csv is not
//     read.
//
// The dataset carries no version: the edition is opt.Edition or a digest of
// the four files, and its date is the latest year in provision.csv. The
// source is the dataset's documentation page as its README.md gives it.
func ReadETO(fsys fs.FS, display string, opt Options) (*Dataset, error) {
	e := &etoReader{fsys: fsys, display: display, opt: opt, hash: map[string]string{}}
	return e.read()
}

type etoReader struct {
	fsys    fs.FS
	display string
	opt     Options
	hash    map[string]string
	errs    errorList
}

// each reads the CSV file name of the folder, calling fn for each record.
func (e *etoReader) each(name string, required, optional []string, fn func(f *csvFile, rec []string)) error {
	shown := filepath.Join(e.display, name)
	r, err := e.fsys.Open(name)
	if err != nil {
		return openError(shown, err)
	}
	defer r.Close()
	h := newHashReader(r)
	f, err := openCSV(shown, h, e.opt, required, optional)
	if err != nil {
		return err
	}
	for {
		rec, err := f.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		fn(f, rec)
		if e.errs.full() {
			return e.errs.errs
		}
	}
	e.hash[name] = h.sum()
	return nil
}

var iso3 = map[string]string{
	"CHN": "CN", "USA": "US", "JPN": "JP", "KOR": "KR", "TWN": "TW", "DEU": "DE", "SGP": "SG",
	"GBR": "GB", "NLD": "NL", "FRA": "FR", "ITA": "IT", "CHE": "CH", "AUT": "AT", "SWE": "SE",
	"ISR": "IL", "MYS": "MY", "CZE": "CZ", "LUX": "LU", "HUN": "HU", "BLR": "BY", "CAN": "CA",
	"IND": "IN", "BEL": "BE", "FIN": "FI", "DNK": "DK", "NOR": "NO", "ESP": "ES", "IRL": "IE",
	"AUS": "AU", "RUS": "RU", "HKG": "HK", "PHL": "PH", "THA": "TH", "VNM": "VN", "IDN": "ID",
	"MEX": "MX", "BRA": "BR", "POL": "PL", "PRT": "PT", "NZL": "NZ", "SAU": "SA", "ARE": "AE",
}

type etoInput struct {
	id, name, typ string
	kind          graph.Kind
	idx           int // in Dataset.Entities
}

func (e *etoReader) read() (*Dataset, error) {
	if err := e.opt.check(); err != nil {
		return nil, err
	}
	d := &Dataset{Name: "eto", Skipped: map[string]int{}}
	ents := map[string]int{} // eto id -> index in d.Entities
	inputs := map[string]*etoInput{}
	var src []string // set once the edition is known
	at := func(f *csvFile) []graph.Origin { return []graph.Origin{{Dataset: "eto", Record: f.at()}} }
	// uid makes entity ids (slugs of names) unique within the dataset.
	used := map[string]bool{}
	uid := func(name, etoID string) string {
		id := Slug(name)
		if used[id] {
			id = id + "-" + strings.ToLower(etoID)
		}
		for n := 2; used[id]; n++ {
			id = fmt.Sprintf("%s-%s-%d", Slug(name), strings.ToLower(etoID), n)
		}
		used[id] = true
		return id
	}
	seenProvider := map[string]bool{}

	// providers
	err := e.each("providers.csv", []string{"provider_id", "provider_name", "provider_type"}, []string{"alias", "country"}, func(f *csvFile, rec []string) {
		id, name, typ := f.get(rec, "provider_id"), f.get(rec, "provider_name"), f.get(rec, "provider_type")
		alias, country := f.get(rec, "alias"), f.get(rec, "country")
		switch {
		case id == "":
			e.errs.add(f.failCol("provider_id", "required"))
			return
		case name == "":
			e.errs.add(f.failCol("provider_name", "required"))
			return
		case seenProvider[id]:
			// ETO repeats a provider once per alias.
			i := ents[id]
			if i < 0 || d.Entities[i].Kind != graph.KindCompany || d.Entities[i].Name != name {
				e.errs.add(f.failCol("provider_name", "provider_id %q repeats with another name or type %q", id, name))
				return
			}
			for _, a := range splitList(alias) {
				addAlias(&d.Entities[i], a)
			}
			d.Entities[i].Origins = append(d.Entities[i].Origins, at(f)...)
			return
		}
		seenProvider[id] = true
		ent := graph.Entity{ExternalIDs: []graph.ExternalID{{Scheme: "eto", Value: id}}, Origins: at(f)}
		switch typ {
		case "organization":
			ent.Kind, ent.Name, ent.ID = graph.KindCompany, name, uid(name, id)
			for _, a := range splitList(alias) {
				addAlias(&ent, a)
			}
			if country != "" {
				ent.Country = iso3[strings.ToUpper(country)]
			}
		case "country":
			if strings.EqualFold(name, "Various countries") {
				d.Skipped["\"Various countries\" provider"]++
				ents[id] = -1
				return
			}
			ent.Kind = graph.KindCountry
			ent.Name = name
			if alias != "" {
				ent.Name = alias
				addAlias(&ent, name)
			}
			ent.ID = uid(ent.Name, id)
			if c, ok := iso3[strings.ToUpper(name)]; ok {
				ent.Country = c
				addAlias(&ent, c)
			}
		default:
			e.errs.add(f.failCol("provider_type", "unknown provider_type %q: want organization or country", typ))
			return
		}
		ents[id] = len(d.Entities)
		d.Entities = append(d.Entities, ent)
	})
	if err != nil {
		return nil, err
	}

	// inputs
	err = e.each("inputs.csv", []string{"input_id", "input_name", "type"},
		[]string{"stage_name", "stage_id", "description", "year", "market_share_chart_global_market_size_info",
			"market_share_chart_caption", "market_share_chart_source"}, func(f *csvFile, rec []string) {
			id, name, typ := f.get(rec, "input_id"), f.get(rec, "input_name"), f.get(rec, "type")
			switch {
			case id == "":
				e.errs.add(f.failCol("input_id", "required"))
				return
			case name == "":
				e.errs.add(f.failCol("input_name", "required"))
				return
			case inputs[id] != nil:
				e.errs.add(f.failCol("input_id", "duplicate input_id %q", id))
				return
			}
			in := &etoInput{id: id, name: name, typ: typ}
			lname := strings.ToLower(name)
			switch typ {
			case "tool_resource":
				in.kind = graph.KindEquipment
			case "material_resource":
				in.kind = graph.KindEquipment
				if strings.Contains(lname, "intellectual property") {
					in.kind = graph.KindSoftware
				}
			case "design_resource", "ultimate_output":
				in.kind = graph.KindChip
			case "process":
				in.kind = graph.KindEquipment
				switch {
				case strings.Contains(lname, "eda"):
					in.kind = graph.KindSoftware
				case strings.Contains(lname, "design"):
					in.kind = graph.KindChip
				}
			default:
				e.errs.add(f.failCol("type", "unknown input type %q: want tool_resource, material_resource, design_resource, process or ultimate_output", typ))
				return
			}
			ent := graph.Entity{ID: uid(name, id), Kind: in.kind, Name: name, Description: f.get(rec, "description"),
				ExternalIDs: []graph.ExternalID{{Scheme: "eto", Value: id}}, Origins: at(f)}
			ent.Attributes = append(ent.Attributes, graph.Attribute{Name: "eto_type", Type: graph.AttrString, Value: typ})
			if s := f.get(rec, "stage_name"); s != "" {
				ent.Attributes = append(ent.Attributes, graph.Attribute{Name: "stage", Type: graph.AttrString, Value: s})
			}
			if m := f.get(rec, "market_share_chart_global_market_size_info"); m != "" {
				a := graph.Attribute{Name: "market_size", Type: graph.AttrString, Value: m}
				if y, err := graph.ParseDate(f.get(rec, "year")); err == nil {
					a.AsOf = y
				}
				ent.Attributes = append(ent.Attributes, a)
			}
			in.idx = len(d.Entities)
			inputs[id] = in
			d.Entities = append(d.Entities, ent)
		})
	if err != nil {
		return nil, err
	}

	// provision
	var rels []*graph.Relation
	var latest graph.Date
	stage := regexp.MustCompile(`^S\d+$`)
	err = e.each("provision.csv", []string{"provider_id", "provided_id"},
		[]string{"provider_name", "provided_name", "share_provided", "year", "source"}, func(f *csvFile, rec []string) {
			pid, nid := f.get(rec, "provider_id"), f.get(rec, "provided_id")
			pi, ok := ents[pid]
			if !ok {
				e.errs.add(f.failCol("provider_id", "unknown provider_id %q (not in providers.csv)", pid))
				return
			}
			if pi < 0 {
				d.Skipped["provision rows of \"Various countries\""]++
				return
			}
			in := inputs[nid]
			if in == nil {
				if stage.MatchString(nid) {
					d.Skipped["provision rows for whole stages (no entity kind)"]++
					return
				}
				e.errs.add(f.failCol("provided_id", "unknown provided_id %q (not in inputs.csv)", nid))
				return
			}
			r := graph.Relation{From: d.Entities[pi].ID, To: d.Entities[in.idx].ID, Status: graph.StatusReported,
				Note: f.get(rec, "source"), Origins: at(f)}
			switch {
			case in.typ == "design_resource" || in.kind == graph.KindChip:
				r.Type = graph.Designs
			default:
				r.Type = graph.Supplies
				r.Category = "equipment"
				switch {
				case in.kind == graph.KindSoftware && strings.Contains(strings.ToLower(in.name), "eda"):
					r.Category = "eda"
				case in.kind == graph.KindSoftware:
					r.Category = "ip"
				case in.typ == "material_resource":
					r.Category = "materials"
				}
			}
			var year graph.Date
			if y := f.get(rec, "year"); y != "" {
				v, err := graph.ParseDate(y)
				if err != nil || len(y) != 4 {
					e.errs.add(f.failCol("year", "bad year %q: want YYYY", y))
					return
				}
				year = v
				// The share is as of that year: the provision is first
				// reported then (ETO gives no start).
				r.ValidFrom, r.FirstReported = v, true
				if v.First() > latest.First() {
					latest = v
				}
				r.Properties = append(r.Properties, graph.Attribute{Name: "year", Type: graph.AttrDate, Value: y})
			}
			if s := f.get(rec, "share_provided"); s != "" {
				v, err := strconv.ParseFloat(s, 64)
				if err != nil || v < 0 || v > 100 {
					e.errs.add(f.failCol("share_provided", "bad share %q: want a percentage 0-100", s))
					return
				}
				r.Properties = append(r.Properties, graph.Attribute{Name: "share", Type: graph.AttrNumber,
					Value: strconv.FormatFloat(v, 'f', -1, 64), Unit: "percent", AsOf: year})
			}
			rels = append(rels, &r)
		})
	if err != nil {
		return nil, err
	}

	// sequence
	err = e.each("sequence.csv", []string{"input_id"},
		[]string{"input_name", "goes_into_name", "goes_into_id", "is_type_of_name", "is_type_of_id"}, func(f *csvFile, rec []string) {
			id := f.get(rec, "input_id")
			in := inputs[id]
			if in == nil {
				e.errs.add(f.failCol("input_id", "unknown input_id %q (not in inputs.csv)", id))
				return
			}
			if g := f.get(rec, "goes_into_id"); g != "" {
				out := inputs[g]
				if out == nil {
					e.errs.add(f.failCol("goes_into_id", "unknown input %q (not in inputs.csv)", g))
					return
				}
				if out != in {
					rels = append(rels, &graph.Relation{Type: graph.UsesComponent, From: d.Entities[out.idx].ID,
						To: d.Entities[in.idx].ID, Status: graph.StatusReported, Origins: at(f)})
				}
			}
			if g := f.get(rec, "is_type_of_id"); g != "" {
				parent := inputs[g]
				if parent == nil {
					e.errs.add(f.failCol("is_type_of_id", "unknown input %q (not in inputs.csv)", g))
					return
				}
				ent := &d.Entities[in.idx]
				ent.Attributes = append(ent.Attributes, graph.Attribute{Name: "type_of", Type: graph.AttrString,
					Value: parent.name, Note: "eto:" + parent.id})
			}
		})
	if err != nil {
		return nil, err
	}
	if len(e.errs.errs) > 0 {
		return nil, e.errs.errs
	}

	// Edition, source, and the source and edition of every record.
	d.Edition = "sha256-" + e.hash["inputs.csv"] + e.hash["providers.csv"][:4] + e.hash["provision.csv"][:4] + e.hash["sequence.csv"][:4]
	d.EditionDate = latest
	if e.opt.Edition != "" {
		d.Edition = e.opt.Edition
		if ed, err := graph.ParseDate(e.opt.Edition); err == nil {
			d.EditionDate = ed
		}
	}
	if d.EditionDate.IsZero() {
		return nil, graph.Errorf(graph.CodeInvalid, filepath.Join(e.display, "provision.csv"), "no year to date this edition: pass --edition YYYY-MM-DD")
	}
	home := ETOHome
	if b, err := fs.ReadFile(e.fsys, "README.md"); err == nil {
		if m := regexp.MustCompile(`https://eto\.tech/[^\s)\]]+`).Find(b); m != nil {
			home = string(m)
		}
	}
	key := sourceKey(d.Name, d.Edition)
	d.Sources = []graph.Source{{Key: key, Title: "ETO Advanced Semiconductor Supply Chain Dataset (Chip Explorer), edition " + d.Edition,
		URL: home, Publisher: "Emerging Technology Observatory, Center for Security and Emerging Technology (Georgetown University)",
		Published: d.EditionDate}}
	src = []string{key}
	stamp := func(list []graph.Origin) []graph.Origin {
		for i := range list {
			list[i].Edition = d.Edition
		}
		return list
	}
	for i := range d.Entities {
		ent := &d.Entities[i]
		ent.Sources = src
		ent.Origins = stamp(ent.Origins)
		for j := range ent.Attributes {
			ent.Attributes[j].Sources = src
		}
	}
	seen := map[string]int{}
	for _, r := range rels {
		r.Sources = src
		r.Origins = stamp(r.Origins)
		for j := range r.Properties {
			r.Properties[j].Sources = src
		}
		k := r.From + "\x00" + string(r.Type) + "\x00" + r.To
		if j, ok := seen[k]; ok {
			d.Relations[j].Origins = addOrigin(d.Relations[j].Origins, r.Origins[0])
			continue
		}
		seen[k] = len(d.Relations)
		d.Relations = append(d.Relations, DatasetRelation{Relation: *r})
	}
	return d, nil
}
