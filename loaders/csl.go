package loaders

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
)

// CSLColumns are the columns of the US Consolidated Screening List CSV
// (consolidated.csv of the International Trade Administration), without the
// leading "_id" column that current exports have and older ones lack.
var CSLColumns = []string{"source", "entity_number", "type", "programs", "name", "title",
	"addresses", "federal_register_notice", "start_date", "end_date", "standard_order",
	"license_requirement", "license_policy", "call_sign", "vessel_type", "gross_tonnage",
	"gross_registered_tonnage", "vessel_flag", "vessel_owner", "remarks", "source_list_url",
	"alt_names", "citizenships", "dates_of_birth", "nationalities", "places_of_birth",
	"source_information_url", "ids"}

// cslRow is one listing, from a CSV row or a JSON result. Multi-valued
// fields are joined with "; " as in the CSV.
type cslRow struct {
	at                                   string // "FILE:LINE" or "FILE: results[3]"
	id, source, number, typ, programs    string
	name, title, addresses, frn          string
	start, end, stdOrder, licReq, licPol string
	remarks, listURL, altNames, infoURL  string
	citizenships, nationalities          string
}

// ReadCSL reads the US Consolidated Screening List, as CSV (both layouts:
// with and without the leading "_id" column; columns CSLColumns, multi-valued
// cells joined with "; ") or as the JSON export (an object whose "results"
// array holds one object per listing, with the same field names, arrays for
// multi-valued fields and objects for addresses). The format is told from
// the first byte. name is how messages call the file.
//
// Mapping, one listing (row) at a time:
//
//   - the listing is a SANCTION entity named "LIST: NAME (START)", e.g.
//     "Entity List (EL): Huawei Technologies Co., Ltd. (2019-05-21)", with
//     external id csl:_id when the row has an _id, and the attributes
//     source_list, programs, federal_register_notice, start_date, end_date,
//     standard_order, license_requirement, license_policy, remarks and
//     entity_number (those the row gives);
//   - the listed party is a COMPANY named "name" (without the "; and any
//     successor, sub-unit, or subsidiary thereof" tail), with alt_names as
//     aliases, one "address" attribute per address and its country from
//     the ISO code that ends its first address;
//   - listing TARGETS party, ValidFrom start_date, ValidTo end_date,
//     status confirmed; listing ISSUED_BY the agency that keeps the list
//     (the text after " - " in "source": Bureau of Industry and Security,
//     U.S. Department of the Treasury, U.S. Department of State).
//
// Individuals, vessels and aircraft (type Individual, Vessel, Aircraft) are
// skipped - chipgraph has no kind for them - and counted in
// Dataset.Skipped, as are rows left out by opt.Lists and opt.Countries.
//
// Each list in the file is one graph.Source of the edition, whose URL is the
// list's source_list_url (a list without one is an error) and whose
// publisher is its agency. The edition is opt.Edition or the latest
// start_date followed by a digest of the file, so that two downloads with
// different content are different editions; its date is that start_date
// (the list is at least that new).
func ReadCSL(r io.Reader, name string, opt Options) (*Dataset, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	hash := newHashReader(r)
	in := stripBOM(hash)
	br, ok := in.(interface{ Peek(int) ([]byte, error) })
	isJSON := false
	if ok {
		for i := 1; i <= 64; i++ {
			b, err := br.Peek(i)
			if len(b) < i || err != nil {
				break
			}
			c := b[i-1]
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				continue
			}
			isJSON = c == '{'
			break
		}
	}
	var rows []cslRow
	var err error
	if isJSON {
		rows, err = readCSLJSON(in, name, opt)
	} else {
		rows, err = readCSLCSV(in, name, opt)
	}
	if err != nil {
		return nil, err
	}
	// Drain what is left, so the digest covers the whole file.
	if _, err := io.Copy(io.Discard, hash); err != nil {
		return nil, &graph.Error{Code: graph.CodeInvalid, Path: name, Msg: "reading failed: " + err.Error()}
	}
	return cslDataset(rows, name, hash.sum(), opt)
}

func readCSLCSV(in io.Reader, name string, opt Options) ([]cslRow, error) {
	f, err := openCSV(name, in, opt, []string{"source", "name"}, append([]string{"_id"}, CSLColumns...))
	if err != nil {
		return nil, err
	}
	var rows []cslRow
	for {
		rec, err := f.next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		g := func(c string) string { return f.get(rec, c) }
		rows = append(rows, cslRow{at: f.at(), id: g("_id"), source: g("source"), number: g("entity_number"),
			typ: g("type"), programs: g("programs"), name: g("name"), title: g("title"), addresses: g("addresses"),
			frn: g("federal_register_notice"), start: g("start_date"), end: g("end_date"), stdOrder: g("standard_order"),
			licReq: g("license_requirement"), licPol: g("license_policy"), remarks: g("remarks"),
			listURL: g("source_list_url"), altNames: g("alt_names"), infoURL: g("source_information_url"),
			citizenships: g("citizenships"), nationalities: g("nationalities")})
		if len(rows) > 50_000_000 {
			return nil, f.fail(f.line(0), 1, "", "too many rows")
		}
	}
}

// readCSLJSON streams the "results" array of a CSL JSON export, one listing
// at a time, each bounded by opt.MaxRecordBytes.
func readCSLJSON(in io.Reader, name string, opt Options) ([]cslRow, error) {
	c := &capReader{r: in, max: opt.maxRecord() + 64<<10}
	dec := json.NewDecoder(c)
	dec.UseNumber()
	fail := func(path string, err error) error {
		msg := err.Error()
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			msg = fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Error())
		case errors.As(err, &te):
			msg = fmt.Sprintf("at byte %d: want %s, found a JSON %s", te.Offset, te.Type, te.Value)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			msg = fmt.Sprintf("unexpected end of file at byte %d (truncated?)", dec.InputOffset())
		case errors.Is(err, errTooLong):
			msg = fmt.Sprintf("value over the limit of %d bytes", opt.maxRecord())
		}
		p := name
		if path != "" {
			p += ": " + path
		}
		return &graph.Error{Code: graph.CodeInvalid, Path: p, Msg: msg}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fail("", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fail("", fmt.Errorf("want a JSON object with \"results\""))
	}
	var rows []cslRow
	found := false
	for dec.More() {
		c.reset()
		tok, err := dec.Token()
		if err != nil {
			return nil, fail("", err)
		}
		key, _ := tok.(string)
		if key != "results" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail(key, err)
			}
			continue
		}
		found = true
		tok, err = dec.Token()
		if err != nil {
			return nil, fail("results", err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, fail("results", fmt.Errorf("want an array"))
		}
		for i := 0; dec.More(); i++ {
			c.reset()
			path := fmt.Sprintf("results[%d]", i)
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				return nil, fail(path, err)
			}
			row, err := cslFromJSON(m, path)
			if err != nil {
				return nil, fail(path+"."+err.field, errors.New(err.msg))
			}
			row.at = name + ": " + path
			rows = append(rows, row)
		}
		if _, err := dec.Token(); err != nil {
			return nil, fail("results", err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fail("", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail("", fmt.Errorf("data after the top-level object"))
	}
	if !found {
		return nil, fail("results", fmt.Errorf("missing: want the array of listings"))
	}
	return rows, nil
}

type fieldError struct{ field, msg string }

// cslFromJSON converts one JSON listing to a row: strings stay, arrays of
// strings are joined with "; ", addresses are "address, city, state,
// postal_code, country" joined with "; ".
func cslFromJSON(m map[string]any, path string) (cslRow, *fieldError) {
	var ferr *fieldError
	str := func(k string) string {
		v, ok := m[k]
		if !ok || v == nil || ferr != nil {
			return ""
		}
		switch x := v.(type) {
		case string:
			return strings.TrimSpace(x)
		case json.Number:
			return x.String()
		case bool:
			return fmt.Sprint(x)
		case []any:
			var parts []string
			for i, e := range x {
				switch y := e.(type) {
				case string:
					if y = strings.TrimSpace(y); y != "" {
						parts = append(parts, y)
					}
				case map[string]any:
					var fields []string
					for _, f := range []string{"address", "city", "state", "postal_code", "country"} {
						if s, ok := y[f].(string); ok && strings.TrimSpace(s) != "" {
							fields = append(fields, strings.TrimSpace(s))
						}
					}
					if len(fields) > 0 {
						parts = append(parts, strings.Join(fields, ", "))
					}
				case nil:
				default:
					ferr = &fieldError{fmt.Sprintf("%s[%d]", k, i), fmt.Sprintf("want a string or an object, found %T", e)}
					return ""
				}
			}
			return strings.Join(parts, "; ")
		}
		ferr = &fieldError{k, fmt.Sprintf("want a string or an array, found %T", v)}
		return ""
	}
	id := str("_id")
	if id == "" {
		id = str("id")
	}
	row := cslRow{id: id, source: str("source"), number: str("entity_number"), typ: str("type"),
		programs: str("programs"), name: str("name"), title: str("title"), addresses: str("addresses"),
		frn: str("federal_register_notice"), start: str("start_date"), end: str("end_date"),
		stdOrder: str("standard_order"), licReq: str("license_requirement"), licPol: str("license_policy"),
		remarks: str("remarks"), listURL: str("source_list_url"), altNames: str("alt_names"),
		infoURL: str("source_information_url"), citizenships: str("citizenships"), nationalities: str("nationalities")}
	return row, ferr
}

// cslAgencies maps the agency named in "source" to the government body.
var cslAgencies = map[string]struct {
	name    string
	aliases []string
}{
	"Bureau of Industry and Security": {"Bureau of Industry and Security", []string{"BIS"}},
	"Treasury Department":             {"U.S. Department of the Treasury", []string{"Treasury Department", "US Treasury"}},
	"State Department":                {"U.S. Department of State", []string{"State Department", "US State Department"}},
}

var (
	listAbbrev   = regexp.MustCompile(`\(([A-Z0-9]{2,10})\)`)
	countryTail  = regexp.MustCompile(`,\s*([A-Z]{2})\s*$`)
	successorTag = regexp.MustCompile(`(?i)[;,]?\s*and any successor.*$`)
	skipTypes    = map[string]string{"individual": "individuals", "vessel": "vessels", "aircraft": "aircraft"}
)

// cslList splits "Entity List (EL) - Bureau of Industry and Security" into
// the list, its abbreviation and the agency.
func cslList(source string) (list, abbrev, agency string) {
	list, agency, _ = strings.Cut(source, " - ")
	list, agency = strings.TrimSpace(list), strings.TrimSpace(agency)
	if m := listAbbrev.FindStringSubmatch(list); m != nil {
		abbrev = m[1]
	}
	return list, abbrev, agency
}

// cslCountries returns the ISO codes of a row's addresses, citizenships and
// nationalities.
func cslCountries(row *cslRow) []string {
	var out []string
	for _, a := range splitList(row.addresses) {
		if m := countryTail.FindStringSubmatch(a); m != nil {
			out = addString(out, m[1])
		}
	}
	for _, c := range append(splitList(row.citizenships), splitList(row.nationalities)...) {
		if len(c) == 2 {
			out = addString(out, strings.ToUpper(c))
		}
	}
	return out
}

func cslDataset(rows []cslRow, name, sum string, opt Options) (*Dataset, error) {
	d := &Dataset{Name: "csl", Skipped: map[string]int{}}
	var errs errorList
	keep := rows[:0]
	for _, row := range rows {
		list, abbrev, _ := cslList(row.source)
		switch {
		case row.source == "":
			errs.add(graph.Errorf(graph.CodeInvalid, row.at+": source", "required: the list"))
			continue
		case row.name == "":
			errs.add(graph.Errorf(graph.CodeInvalid, row.at+": name", "required"))
			continue
		}
		if len(opt.Lists) > 0 && !slices.ContainsFunc(opt.Lists, func(l string) bool {
			return strings.EqualFold(l, row.source) || strings.EqualFold(l, list) || (abbrev != "" && strings.EqualFold(l, abbrev))
		}) {
			d.Skipped["rows of other lists"]++
			continue
		}
		if len(opt.Countries) > 0 && !slices.ContainsFunc(cslCountries(&row), func(c string) bool {
			return slices.ContainsFunc(opt.Countries, func(w string) bool { return strings.EqualFold(w, c) })
		}) {
			d.Skipped["rows of other countries"]++
			continue
		}
		if why, ok := skipTypes[strings.ToLower(row.typ)]; ok {
			d.Skipped[why]++
			continue
		}
		for _, f := range []struct{ col, v string }{{"start_date", row.start}, {"end_date", row.end}} {
			if f.v != "" {
				if _, err := graph.ParseDate(f.v); err != nil {
					errs.add(graph.Errorf(graph.CodeInvalid, row.at+": "+f.col, "%v", err))
				}
			}
		}
		if row.listURL != "" && !isURL(row.listURL) {
			errs.add(graph.Errorf(graph.CodeInvalid, row.at+": source_list_url", "bad URL %q", row.listURL))
		}
		if errs.full() {
			break
		}
		keep = append(keep, row)
	}
	if len(errs.errs) > 0 {
		return nil, errs.errs
	}
	rows = keep

	var latest graph.Date
	for _, row := range rows {
		if s, _ := graph.ParseDate(row.start); s.First() > latest.First() {
			latest = s
		}
	}
	d.Edition = sum
	if !latest.IsZero() {
		d.Edition = latest.String() + "-" + sum
	}
	d.EditionDate = latest
	if opt.Edition != "" {
		d.Edition = opt.Edition
		if ed, err := graph.ParseDate(opt.Edition); err == nil {
			d.EditionDate = ed
		}
	}
	if d.EditionDate.IsZero() && len(rows) > 0 {
		return nil, graph.Errorf(graph.CodeInvalid, name, "no start_date in the file to date this edition: pass --edition YYYY-MM-DD")
	}

	// One source per list.
	srcOf := map[string]string{} // source column -> source key
	keyUsed := map[string]bool{}
	for _, row := range rows {
		if _, ok := srcOf[row.source]; ok {
			continue
		}
		list, abbrev, agency := cslList(row.source)
		url := ""
		for _, r2 := range rows {
			if r2.source == row.source && r2.listURL != "" {
				url = r2.listURL
				break
			}
		}
		if url == "" {
			return nil, graph.Errorf(graph.CodeInvalid, row.at+": source_list_url", "no row of %q gives its source_list_url: the list cannot be cited", row.source)
		}
		tag := abbrev
		if tag == "" {
			tag = shortHash(row.source)
		}
		key := sourceKey(d.Name, d.Edition) + "-" + Slug(tag)
		if keyUsed[key] { // two list names with one abbreviation
			key += "-" + shortHash(row.source)
		}
		keyUsed[key] = true
		srcOf[row.source] = key
		publisher := agency
		if a, ok := cslAgencies[agency]; ok {
			publisher = a.name
		}
		if publisher == "" {
			publisher = "U.S. government"
		}
		d.Sources = append(d.Sources, graph.Source{Key: key,
			Title:     fmt.Sprintf("%s, as published in the Consolidated Screening List, edition %s", list, d.Edition),
			URL:       url,
			Publisher: publisher, Published: d.EditionDate})
	}
	slices.SortFunc(d.Sources, func(a, b graph.Source) int { return strings.Compare(a.Key, b.Key) })

	origin := func(at string) []graph.Origin {
		return []graph.Origin{{Dataset: d.Name, Edition: d.Edition, Record: at}}
	}
	used := map[string]bool{}
	propose := func(id string) string {
		base := id
		for n := 2; used[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		used[id] = true
		return id
	}
	agencyIDs := map[string]string{}
	for _, row := range rows {
		src := []string{srcOf[row.source]}
		list, abbrev, agency := cslList(row.source)
		party := strings.TrimSpace(successorTag.ReplaceAllString(row.name, ""))
		if party == "" {
			party = row.name
		}
		// The listed party.
		pe := graph.Entity{ID: propose(Slug(party)), Kind: graph.KindCompany, Name: party, Sources: src, Origins: origin(row.at)}
		for _, a := range splitList(row.altNames) {
			addAlias(&pe, a)
		}
		addrs := splitList(row.addresses)
		for _, a := range addrs {
			pe.Attributes = append(pe.Attributes, graph.Attribute{Name: "address", Type: graph.AttrString, Value: a, Sources: src})
		}
		if len(addrs) > 0 {
			if m := countryTail.FindStringSubmatch(addrs[0]); m != nil {
				pe.Country = m[1]
			}
		}
		// The listing.
		short := list
		if short == "" {
			short = row.source
		}
		lname := short + ": " + party
		if row.start != "" {
			lname += " (" + row.start + ")"
		}
		tag := abbrev
		if tag == "" {
			tag = "list"
		}
		le := graph.Entity{ID: propose("csl-" + Slug(tag) + "-" + Slug(party+" "+row.start)), Kind: graph.KindSanction,
			Name: lname, Country: "US", Sources: src, Origins: origin(row.at)}
		if row.id != "" {
			le.ExternalIDs = []graph.ExternalID{{Scheme: "csl", Value: row.id}}
		}
		attr := func(name, v string, t graph.AttrType) {
			if v != "" {
				le.Attributes = append(le.Attributes, graph.Attribute{Name: name, Type: t, Value: v, Sources: src})
			}
		}
		attr("source_list", row.source, graph.AttrString)
		attr("programs", row.programs, graph.AttrString)
		attr("federal_register_notice", row.frn, graph.AttrString)
		attr("start_date", row.start, graph.AttrDate)
		attr("end_date", row.end, graph.AttrDate)
		attr("standard_order", row.stdOrder, graph.AttrString)
		attr("license_requirement", row.licReq, graph.AttrString)
		attr("license_policy", row.licPol, graph.AttrString)
		attr("remarks", row.remarks, graph.AttrString)
		attr("entity_number", row.number, graph.AttrString)
		d.Entities = append(d.Entities, le, pe)
		start, _ := graph.ParseDate(row.start)
		end, _ := graph.ParseDate(row.end)
		if !start.IsZero() && !end.IsZero() && end.First() < start.First() {
			end = graph.Date{}
		}
		d.Relations = append(d.Relations, DatasetRelation{Relation: graph.Relation{Type: graph.Targets, From: le.ID, To: pe.ID,
			ValidFrom: start, ValidTo: end, Status: graph.StatusConfirmed, Sources: src, Origins: origin(row.at)}})
		// The agency.
		if agency != "" {
			gid, ok := agencyIDs[agency]
			if !ok {
				a, known := cslAgencies[agency]
				if !known {
					a.name = agency
				}
				gid = propose(Slug(a.name))
				agencyIDs[agency] = gid
				ge := graph.Entity{ID: gid, Kind: graph.KindGovernmentBody, Name: a.name, Country: "US", Sources: src, Origins: origin(row.at)}
				for _, al := range a.aliases {
					addAlias(&ge, al)
				}
				d.Entities = append(d.Entities, ge)
			}
			d.Relations = append(d.Relations, DatasetRelation{Relation: graph.Relation{Type: graph.IssuedBy, From: le.ID, To: gid,
				Status: graph.StatusConfirmed, Sources: src, Origins: origin(row.at)}})
		}
	}
	return d, nil
}
