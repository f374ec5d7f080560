package loaders

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
)

// DoD1260HColumns are the columns of the US DoD Section 1260H list CSV as
// OpenSanctions transcribes it (datasets/us/dod_chinese_milcorps).
var DoD1260HColumns = []string{"Name", "Clean Name", "Alias", "Previous Name", "Parent Name", "Note", "Start date", "End date", "Source Url"}

// ReadDoD1260H reads the US Department of Defense Section 1260H list of
// "Chinese military companies" from a CSV file with the columns
// DoD1260HColumns (only "Clean Name" or "Name", and "Start date", are
// required; unknown columns are an error). name is how messages call the
// file. Each row is one designation of a company in one edition of the
// list; the file holds every edition.
//
// Mapping:
//
//   - the list itself is one SANCTION entity, proposed id dod-1260h-list,
//     ISSUED_BY the GOVERNMENT_BODY "U.S. Department of Defense" (which
//     resolves to the curated us-dod);
//   - each company is a COMPANY named by the "Clean Name" of its latest
//     row, with "Alias", "Previous Name" (split on ";") and the other
//     spellings of its name as aliases; rows are the same company when
//     their clean names, or a clean name and a previous name, share a
//     NameKey (so a renamed company stays one entity);
//   - each row is a TARGETS relation list -> company, ValidFrom "Start
//     date", ValidTo "End date", status confirmed, Note "Note", property
//     listing_url "Source Url"; its id ends in "--START-DATE" so that a
//     company designated twice has two relations;
//   - "Parent Name" is a SUBSIDIARY_OF relation company -> parent; a parent
//     that is not itself listed becomes a COMPANY record too.
//
// The edition is the latest date in the file (opt.Edition overrides it).
// The source is the list's publication: its URL is the "Source Url" of the
// latest edition in the file; a file without any Source Url is an error.
func ReadDoD1260H(r io.Reader, name string, opt Options) (*Dataset, error) {
	f, err := openCSV(name, r, opt, []string{"Start date"}, DoD1260HColumns)
	if err != nil {
		return nil, err
	}
	_, hasClean := f.col["Clean Name"]
	_, hasName := f.col["Name"]
	if !hasClean && !hasName {
		return nil, f.fail(1, 1, "", "missing column \"Clean Name\" (or \"Name\")")
	}

	type row struct {
		at                string
		line              int
		clean, parent     string
		aliases, previous []string
		note, url         string
		start, end        graph.Date
		startStr, endStr  string
	}
	var (
		rows []row
		errs errorList
	)
	for {
		rec, err := f.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs.add(err.(*graph.Error))
			return nil, errs.errs
		}
		rw := row{at: f.at(), line: f.line(0)}
		rw.clean = f.get(rec, "Clean Name")
		full := f.get(rec, "Name")
		if rw.clean == "" {
			rw.clean = cleanListedName(full)
		}
		if rw.clean == "" {
			errs.add(f.failCol("Clean Name", "required: the company's name"))
			continue
		}
		if full != "" {
			if c := cleanListedName(full); c != rw.clean {
				rw.aliases = append(rw.aliases, c)
			}
		}
		rw.aliases = append(rw.aliases, splitList(f.get(rec, "Alias"))...)
		rw.previous = splitList(f.get(rec, "Previous Name"))
		rw.parent = cleanListedName(f.get(rec, "Parent Name"))
		rw.note = f.get(rec, "Note")
		rw.url = f.get(rec, "Source Url")
		rw.startStr, rw.endStr = f.get(rec, "Start date"), f.get(rec, "End date")
		var bad bool
		if rw.start, bad = dateCol(f, &errs, "Start date", rw.startStr, true); bad {
			continue
		}
		if rw.end, bad = dateCol(f, &errs, "End date", rw.endStr, false); bad {
			continue
		}
		if !rw.end.IsZero() && rw.end.First() < rw.start.First() {
			errs.add(f.failCol("End date", "end date %s is before start date %s", rw.end, rw.start))
			continue
		}
		if rw.url != "" && !isURL(rw.url) {
			errs.add(f.failCol("Source Url", "bad URL %q", rw.url))
			continue
		}
		rows = append(rows, rw)
		if errs.full() {
			break
		}
	}
	if len(errs.errs) > 0 {
		return nil, errs.errs
	}
	if len(rows) == 0 {
		return nil, f.fail(2, 1, "", "no rows")
	}

	// Edition: the latest date; source URL: a URL of the latest start date
	// that has one.
	var edition graph.Date
	for _, rw := range rows {
		for _, d := range []graph.Date{rw.start, rw.end} {
			if d.First() > edition.First() {
				edition = d
			}
		}
	}
	url, urlDate := "", graph.Date{}
	for _, rw := range rows {
		if rw.url != "" && rw.start.First() >= urlDate.First() {
			url, urlDate = rw.url, rw.start
		}
	}
	d := &Dataset{Name: "dod1260h", Edition: edition.String(), EditionDate: edition}
	if opt.Edition != "" {
		d.Edition = opt.Edition
		if ed, err := graph.ParseDate(opt.Edition); err == nil {
			d.EditionDate = ed
		}
	}
	if url == "" {
		return nil, f.fail(1, 1, "Source Url", "no row gives a Source Url: the list's publication cannot be cited")
	}
	src := sourceKey(d.Name, d.Edition)
	d.Sources = []graph.Source{{
		Key:       src,
		Title:     fmt.Sprintf("Entities identified as Chinese military companies operating in the United States (Section 1260H list), edition %s", d.Edition),
		URL:       url,
		Publisher: "U.S. Department of Defense",
		Published: d.EditionDate,
	}}
	if d.Sources[0].Published.IsZero() {
		d.Sources[0].Published = edition
	}
	origin := func(at string) graph.Origin { return graph.Origin{Dataset: d.Name, Edition: d.Edition, Record: at} }

	const listID, dodID = "dod-1260h-list", "us-dod"
	d.Entities = append(d.Entities,
		graph.Entity{ID: listID, Kind: graph.KindSanction, Name: "US DoD Section 1260H list of Chinese military companies",
			Aliases: []string{"1260H list"}, Country: "US",
			Description: "List of entities the US Department of Defense identifies as Chinese military companies operating in the United States under Section 1260H of the FY2021 NDAA.",
			Sources:     []string{src}, Origins: []graph.Origin{origin(name)}},
		graph.Entity{ID: dodID, Kind: graph.KindGovernmentBody, Name: "U.S. Department of Defense",
			Aliases: []string{"Department of Defense", "DoD"}, Country: "US",
			Sources: []string{src}, Origins: []graph.Origin{origin(name)}})
	d.Relations = append(d.Relations, DatasetRelation{Relation: graph.Relation{Type: graph.IssuedBy, From: listID, To: dodID,
		Status: graph.StatusConfirmed, Sources: []string{src}, Origins: []graph.Origin{origin(name)}}})

	// Rows denote the same company when their clean names, or a clean name
	// and a previous name, share a NameKey: a union-find over rows. The
	// company is named by the clean name of its latest row.
	up := make([]int, len(rows))
	for i := range up {
		up[i] = i
	}
	find := func(i int) int {
		for up[i] != i {
			up[i] = up[up[i]]
			i = up[i]
		}
		return i
	}
	firstRow := map[string]int{}
	for i, rw := range rows {
		for _, n := range append([]string{rw.clean}, rw.previous...) {
			k := NameKey(n)
			if j, ok := firstRow[k]; ok {
				up[find(i)] = find(j)
			} else {
				firstRow[k] = i
			}
		}
	}
	canon := map[int]int{} // group root -> row naming the company
	for i, rw := range rows {
		g := find(i)
		if c, ok := canon[g]; !ok || rw.start.First() > rows[c].start.First() {
			canon[g] = i
		}
	}
	byKey := map[string]int{} // NameKey -> index in d.Entities
	usedID := map[string]bool{listID: true, dodID: true}
	newCompany := func(nameStr string) int {
		id := Slug(nameStr)
		for n := 2; usedID[id]; n++ {
			id = fmt.Sprintf("%s-%d", Slug(nameStr), n)
		}
		usedID[id] = true
		d.Entities = append(d.Entities, graph.Entity{ID: id, Kind: graph.KindCompany, Name: nameStr, Sources: []string{src}})
		return len(d.Entities) - 1
	}
	groupEntity := map[int]int{} // group root -> index in d.Entities
	ids := make([]string, len(rows))
	for i, rw := range rows {
		g := find(i)
		ei, ok := groupEntity[g]
		if !ok {
			ei = newCompany(rows[canon[g]].clean)
			groupEntity[g] = ei
		}
		e := &d.Entities[ei]
		for _, n := range append(append([]string{rw.clean}, rw.aliases...), rw.previous...) {
			addAlias(e, n)
		}
		for _, n := range append([]string{rw.clean}, rw.previous...) {
			byKey[NameKey(n)] = ei
		}
		e.Origins = addOrigin(e.Origins, origin(rw.at))
		ids[i] = e.ID
	}
	// company returns the id of the parent company named nameStr, adding a
	// record for it when it is not listed itself.
	company := func(nameStr, at string) string {
		k := NameKey(nameStr)
		if i, ok := byKey[k]; ok {
			return d.Entities[i].ID
		}
		i := newCompany(nameStr)
		d.Entities[i].Origins = []graph.Origin{origin(at)}
		byKey[k] = i
		return d.Entities[i].ID
	}
	subs := map[string]int{}
	for i, rw := range rows {
		rel := graph.Relation{Type: graph.Targets, From: listID, To: ids[i], ValidFrom: rw.start, ValidTo: rw.end,
			Status: graph.StatusConfirmed, Note: rw.note, Sources: []string{src}, Origins: []graph.Origin{origin(rw.at)}}
		if rw.url != "" {
			rel.Properties = []graph.Attribute{{Name: "listing_url", Type: graph.AttrString, Value: rw.url, Sources: []string{src}}}
		}
		d.Relations = append(d.Relations, DatasetRelation{Relation: rel, Suffix: "--" + rw.start.String()})
		if rw.parent == "" {
			continue
		}
		pid := company(rw.parent, rw.at)
		if pid == ids[i] {
			continue
		}
		if j, ok := subs[ids[i]+"\x00"+pid]; ok {
			d.Relations[j].Origins = addOrigin(d.Relations[j].Origins, origin(rw.at))
			continue
		}
		subs[ids[i]+"\x00"+pid] = len(d.Relations)
		d.Relations = append(d.Relations, DatasetRelation{Relation: graph.Relation{Type: graph.SubsidiaryOf, From: ids[i], To: pid,
			Status: graph.StatusReported, Sources: []string{src}, Origins: []graph.Origin{origin(rw.at)}}})
	}
	return d, nil
}

// listedSuffix matches the "*" and "(ALIAS)" the DoD adds after a name.
var listedSuffix = regexp.MustCompile(`\s*\*+\s*$`)

// cleanListedName trims a listed name: the trailing "*" marks and
// surrounding space. Parenthesised aliases stay (they may be part of the
// name).
func cleanListedName(s string) string {
	s = strings.TrimSpace(listedSuffix.ReplaceAllString(strings.TrimSpace(s), ""))
	return s
}

// dateCol parses a date column; bad reports a recorded error.
func dateCol(f *csvFile, errs *errorList, col, v string, required bool) (graph.Date, bool) {
	if v == "" {
		if required {
			errs.add(f.failCol(col, "required: a date YYYY-MM-DD"))
			return graph.Date{}, true
		}
		return graph.Date{}, false
	}
	d, err := graph.ParseDate(v)
	if err != nil {
		errs.add(f.failCol(col, "%v", err))
		return graph.Date{}, true
	}
	return d, false
}

// isURL reports whether s is an absolute http(s) URL that graph validation
// accepts.
func isURL(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
