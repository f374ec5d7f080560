package loaders

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chipgraph/chipgraph/graph"
)

// ftmEntity is one line of a FollowTheMoney export.
type ftmEntity struct {
	ID         string                       `json:"id"`
	Schema     string                       `json:"schema"`
	Caption    string                       `json:"caption"`
	Properties map[string][]json.RawMessage `json:"properties"`
	LastChange string                       `json:"last_change"`
	LastSeen   string                       `json:"last_seen"`
	// Chipgraph is the record chipgraph's own FtM export carries (see
	// Export): a graph.Entity, a graph.Relation (id "rel."+ID) or a
	// graph.Source (id "src."+Key).
	Chipgraph json.RawMessage `json:"chipgraph"`

	at string // "FILE:LINE"
}

// ftmRestored holds the chipgraph records of the lines that carry one, in
// file order.
type ftmRestored struct {
	ents []graph.Entity
	rels []graph.Relation
	srcs []graph.Source
	at   []string // "FILE:LINE" of each line restored, in file order
}

func (x *ftmRestored) empty() bool { return len(x.at) == 0 }

// restore decodes the chipgraph record of e into x. The record must be the
// one the line's id names.
func (x *ftmRestored) restore(e *ftmEntity) error {
	dec := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(e.Chipgraph))
		d.DisallowUnknownFields()
		if err := d.Decode(v); err != nil {
			return fmt.Errorf("chipgraph: %v", err)
		}
		return nil
	}
	switch {
	case strings.HasPrefix(e.ID, "rel."):
		var r graph.Relation
		if err := dec(&r); err != nil {
			return err
		}
		if FtMRelationID(r.ID) != e.ID {
			return fmt.Errorf("chipgraph: relation %q does not match the id %q", r.ID, e.ID)
		}
		x.rels = append(x.rels, r)
	case strings.HasPrefix(e.ID, "src."):
		var so graph.Source
		if err := dec(&so); err != nil {
			return err
		}
		if FtMSourceID(so.Key) != e.ID {
			return fmt.Errorf("chipgraph: source %q does not match the id %q", so.Key, e.ID)
		}
		x.srcs = append(x.srcs, so)
	default:
		var en graph.Entity
		if err := dec(&en); err != nil {
			return err
		}
		if en.ID != e.ID {
			return fmt.Errorf("chipgraph: entity %q does not match the id %q", en.ID, e.ID)
		}
		x.ents = append(x.ents, en)
	}
	x.at = append(x.at, e.at)
	return nil
}

// strs returns the string values of property p; nested entities give their
// id.
func (e *ftmEntity) strs(p string) []string {
	var out []string
	for _, raw := range e.Properties[p] {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
			continue
		}
		var nested struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &nested) == nil && nested.ID != "" {
			out = append(out, nested.ID)
		}
	}
	return out
}

func (e *ftmEntity) first(p string) string {
	if v := e.strs(p); len(v) > 0 {
		return v[0]
	}
	return ""
}

var ftmKinds = map[string]graph.Kind{
	"Company": graph.KindCompany, "Organization": graph.KindCompany, "LegalEntity": graph.KindCompany,
	"PublicBody": graph.KindGovernmentBody,
}

// ReadFTM reads FollowTheMoney entities as JSON lines (one entity object
// per line: id, schema, properties; the format of OpenSanctions'
// entities.ftm.json and Aleph's exports). name is how messages call the
// file; errors give its line and column.
//
// Mapping:
//
//   - Company, Organization and LegalEntity -> COMPANY; PublicBody ->
//     GOVERNMENT_BODY. The name is the first name (or the caption), other
//     names, alias and previousName become aliases; country is the first
//     two-letter country, jurisdiction or mainCountry; description the
//     first summary or description. External ids: ftm (the FTM id), lei
//     (leiCode), wikidata (wikidataId). Attributes incorporation_date,
//     dissolution_date, website and registration_number.
//   - Ownership owner -> asset becomes owner INVESTS_IN asset with the
//     property stake (percentage, a number, unit percent) and the validity
//     of startDate/endDate.
//   - UnknownLink subject -> object becomes PARTNERS_WITH, the loosest
//     relation chipgraph has, with the note "FollowTheMoney UnknownLink"
//     and its role.
//   - Sanction becomes a SANCTION entity (named by its caption, or
//     "authority program") with the attributes authority, program, reason,
//     listing_date, start_date, end_date and source_url, TARGETS its entity
//     (validity startDate/endDate).
//   - Directorship: its directors are almost always people, and chipgraph
//     models neither people nor board seats, so directorships are skipped
//     (counted), like Person, Address and every other schema, and links
//     whose endpoints were skipped or are not in the file.
//
// Lines carrying a "chipgraph" record (chipgraph's own FtM export, see
// Export) are not mapped: the entity, relation or source record is taken
// as it is, with its id, fields, sources and origins, like N-Quads. In an
// empty store that restores the export exactly, except that a relation id
// not of the form graph.DefaultRelationID(from, type, to)+suffix, which a
// Dataset cannot express, becomes that default id + "--" + the old id (use
// ImportFTM to restore every id). Against a store that holds data, the
// entities resolve like any dataset's, an entity of the same id first. A
// file may mix such lines with plain FtM lines: the plain ones are mapped
// as above (their links may name the restored entities by id) and cite the
// file's own source; the restored records cite only their own. A file of
// chipgraph records only gets no source of its own and no edition date,
// so loading it closes no relations.
//
// The source is opt.SourceURL or the file as a file://localhost URL; the
// edition is opt.Edition or the latest last_change (or last_seen) date in
// the file followed by a digest of it; without dates, the edition date is
// the day of loading.
func ReadFTM(r io.Reader, name string, opt Options) (*Dataset, error) {
	ents, restored, sum, dates, err := readFTMLines(r, name, opt)
	if err != nil {
		return nil, err
	}
	return ftmDataset(ents, restored, name, sum, dates, opt)
}

// readFTMLines reads the lines of an FtM file: the entities to map, the
// chipgraph records to restore, a digest of the file and its latest date.
func readFTMLines(r io.Reader, name string, opt Options) (ents []*ftmEntity, restored ftmRestored, sum string, dates graph.Date, err error) {
	defer func() {
		if err != nil {
			ents, restored = nil, ftmRestored{}
		}
	}()
	if err := opt.check(); err != nil {
		return nil, restored, "", dates, err
	}
	h := newHashReader(r)
	br := bufio.NewReaderSize(h, 64<<10)
	max := opt.maxRecord()
	var (
		errs errorList
		line int
		buf  []byte
	)
	fail := func(line, col int, format string, args ...any) *graph.Error {
		return &graph.Error{Code: graph.CodeInvalid, Path: fmt.Sprintf("%s:%d:%d", name, line, col), Msg: fmt.Sprintf(format, args...)}
	}
	for {
		buf = buf[:0]
		line++
		tooLong := false
		for {
			chunk, err := br.ReadSlice('\n')
			if int64(len(buf)+len(chunk)) > max {
				tooLong = true
			} else {
				buf = append(buf, chunk...)
			}
			if err == bufio.ErrBufferFull {
				if tooLong {
					return nil, restored, "", dates, fail(line, 1, "line over the limit of %d bytes (not JSON lines?)", max)
				}
				continue
			}
			if err != nil && err != io.EOF {
				return nil, restored, "", dates, &graph.Error{Code: graph.CodeInvalid, Path: fmt.Sprintf("%s:%d", name, line), Msg: "reading failed: " + err.Error()}
			}
			if tooLong {
				return nil, restored, "", dates, fail(line, 1, "line over the limit of %d bytes (not JSON lines?)", max)
			}
			if err == io.EOF && len(buf) == 0 {
				goto done
			}
			break
		}
		if line == 1 {
			buf = bytes.TrimPrefix(buf, []byte{0xEF, 0xBB, 0xBF})
		}
		text := bytes.TrimSpace(buf)
		if len(text) == 0 {
			continue
		}
		if !utf8.Valid(text) {
			col := 1
			for i := 0; i < len(text); {
				r, size := utf8.DecodeRune(text[i:])
				if r == utf8.RuneError && size <= 1 {
					col = i + 1
					break
				}
				i += size
			}
			if !errs.add(fail(line, col, "invalid UTF-8")) {
				return nil, restored, "", dates, errs.errs
			}
			continue
		}
		var e ftmEntity
		if err := json.Unmarshal(text, &e); err != nil {
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &se):
				errs.add(fail(line, int(se.Offset), "invalid JSON: %v", se))
			case errors.As(err, &te):
				errs.add(fail(line, int(te.Offset), "%s: want %s, found a JSON %s", te.Field, te.Type, te.Value))
			default:
				errs.add(fail(line, 1, "invalid JSON: %v", err))
			}
			if errs.full() {
				return nil, restored, "", dates, errs.errs
			}
			continue
		}
		switch {
		case e.ID == "":
			errs.add(fail(line, 1, "id: required"))
			continue
		case e.Schema == "":
			errs.add(fail(line, 1, "schema: required"))
			continue
		}
		e.at = fmt.Sprintf("%s:%d", name, line)
		if len(e.Chipgraph) > 0 && string(e.Chipgraph) != "null" {
			if err := restored.restore(&e); err != nil {
				if !errs.add(fail(line, 1, "%v", err)) {
					return nil, restored, "", dates, errs.errs
				}
			}
			continue
		}
		for _, s := range []string{e.LastChange, e.LastSeen} {
			if len(s) >= 10 {
				if d, err := graph.ParseDate(s[:10]); err == nil && d.First() > dates.First() {
					dates = d
				}
			}
		}
		ents = append(ents, &e)
		if len(ents)+len(restored.at) > 20_000_000 {
			return nil, restored, "", dates, fail(line, 1, "too many entities")
		}
	}
done:
	if len(errs.errs) > 0 {
		return nil, restored, "", dates, errs.errs
	}
	return ents, restored, h.sum(), dates, nil
}

// ftmRestore adds the restored records to d as they are: entities with
// their ids (and the id to match stored entities by first), relations with
// the suffix that gives back their id.
func ftmRestore(d *Dataset, x ftmRestored) {
	d.Sources = append(d.Sources, x.srcs...)
	for _, e := range x.ents {
		e.ExternalIDs = append(slices.Clip(e.ExternalIDs), graph.ExternalID{Scheme: idScheme, Value: e.ID})
		d.Entities = append(d.Entities, e)
	}
	for _, r := range x.rels {
		d.Relations = append(d.Relations, DatasetRelation{Relation: r})
	}
}

// ftmDate returns the date prefix (YYYY, YYYY-MM or YYYY-MM-DD) of an FTM
// date value.
func ftmDate(s string) graph.Date {
	for _, n := range []int{10, 7, 4} {
		if len(s) >= n {
			if d, err := graph.ParseDate(s[:n]); err == nil {
				return d
			}
		}
	}
	return graph.Date{}
}

func ftmDataset(ents []*ftmEntity, restored ftmRestored, name, sum string, latest graph.Date, opt Options) (*Dataset, error) {
	d := &Dataset{Name: "ftm", Skipped: map[string]int{}}
	d.Edition = sum
	if len(ents) == 0 && !restored.empty() {
		// chipgraph's own export: its records as they are, and nothing of
		// this file's own (no source, no edition date to close with).
		if opt.Edition != "" {
			d.Edition = opt.Edition
		}
		ftmRestore(d, restored)
		return d, nil
	}
	d.EditionDate = latest
	if !latest.IsZero() {
		d.Edition = latest.String() + "-" + sum
	} else {
		now := time.Now().UTC()
		d.EditionDate = graph.Date{Year: now.Year(), Month: int(now.Month()), Day: now.Day()}
	}
	if opt.Edition != "" {
		d.Edition = opt.Edition
		if ed, err := graph.ParseDate(opt.Edition); err == nil {
			d.EditionDate = ed
		}
	}
	url := opt.SourceURL
	if url == "" {
		url = fileURL(name)
	} else if !isURL(url) {
		return nil, graph.Errorf(graph.CodeInvalid, "source-url", "bad URL %q: want http(s)://...", url)
	}
	key := sourceKey(d.Name, d.Edition)
	d.Sources = []graph.Source{{Key: key, Title: "FollowTheMoney entities " + filepath.Base(name) + ", edition " + d.Edition,
		URL: url, Publisher: "FollowTheMoney export (OpenSanctions or Aleph)", Published: d.EditionDate}}
	src := []string{key}
	origin := func(e *ftmEntity) []graph.Origin {
		return []graph.Origin{{Dataset: d.Name, Edition: d.Edition, Record: e.at}}
	}
	ftmRestore(d, restored)

	used := map[string]bool{}
	ids := map[string]string{} // FTM id -> proposed id
	for _, e := range restored.ents {
		used[e.ID] = true
		ids[e.ID] = e.ID
	}
	propose := func(base string) string {
		id := base
		for n := 2; used[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		used[id] = true
		return id
	}
	seen := map[string]bool{}
	for _, e := range restored.ents {
		seen[e.ID] = true
	}
	attr := func(list *[]graph.Attribute, name string, t graph.AttrType, v string) {
		if v == "" {
			return
		}
		if t == graph.AttrDate {
			dt := ftmDate(v)
			if dt.IsZero() {
				return
			}
			v = dt.String()
		}
		*list = append(*list, graph.Attribute{Name: name, Type: t, Value: v, Sources: src})
	}
	for _, e := range ents {
		kind, ok := ftmKinds[e.Schema]
		if !ok {
			continue
		}
		if seen[e.ID] {
			d.Skipped["repeated entity ids"]++
			continue
		}
		seen[e.ID] = true
		names := e.strs("name")
		nm := e.Caption
		if len(names) > 0 {
			nm = names[0]
		}
		if strings.TrimSpace(nm) == "" {
			d.Skipped["entities without a name"]++
			continue
		}
		ent := graph.Entity{ID: propose(Slug(nm)), Kind: kind, Name: nm, Sources: src, Origins: origin(e),
			ExternalIDs: []graph.ExternalID{{Scheme: "ftm", Value: e.ID}}}
		for _, a := range slices.Concat(names, e.strs("alias"), e.strs("previousName")) {
			addAlias(&ent, a)
		}
		for _, c := range slices.Concat(e.strs("country"), e.strs("jurisdiction"), e.strs("mainCountry")) {
			if len(c) == 2 && c[0] >= 'a' && c[0] <= 'z' && c[1] >= 'a' && c[1] <= 'z' || len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' {
				ent.Country = strings.ToUpper(c)
				break
			}
		}
		ent.Description = e.first("summary")
		if ent.Description == "" {
			ent.Description = e.first("description")
		}
		if v := e.first("leiCode"); v != "" {
			ent.ExternalIDs = append(ent.ExternalIDs, graph.ExternalID{Scheme: "lei", Value: v})
		}
		if v := e.first("wikidataId"); v != "" {
			ent.ExternalIDs = append(ent.ExternalIDs, graph.ExternalID{Scheme: "wikidata", Value: v})
		}
		attr(&ent.Attributes, "incorporation_date", graph.AttrDate, e.first("incorporationDate"))
		attr(&ent.Attributes, "dissolution_date", graph.AttrDate, e.first("dissolutionDate"))
		attr(&ent.Attributes, "website", graph.AttrString, e.first("website"))
		attr(&ent.Attributes, "registration_number", graph.AttrString, e.first("registrationNumber"))
		ids[e.ID] = ent.ID
		d.Entities = append(d.Entities, ent)
	}
	relSeen := map[string]int{}
	addRel := func(r graph.Relation, suffix string) {
		k := r.From + "\x00" + string(r.Type) + "\x00" + r.To + suffix
		if j, ok := relSeen[k]; ok {
			d.Relations[j].Origins = addOrigin(d.Relations[j].Origins, r.Origins[0])
			return
		}
		relSeen[k] = len(d.Relations)
		d.Relations = append(d.Relations, DatasetRelation{Relation: r, Suffix: suffix})
	}
	validity := func(r *graph.Relation, e *ftmEntity) {
		r.ValidFrom, r.ValidTo = ftmDate(e.first("startDate")), ftmDate(e.first("endDate"))
		if !r.ValidFrom.IsZero() && !r.ValidTo.IsZero() && r.ValidTo.Last() < r.ValidFrom.First() {
			r.ValidTo = graph.Date{}
		}
	}
	for _, e := range ents {
		switch e.Schema {
		case "Ownership", "UnknownLink":
			fromP, toP := "owner", "asset"
			if e.Schema == "UnknownLink" {
				fromP, toP = "subject", "object"
			}
			from, ok1 := ids[e.first(fromP)]
			to, ok2 := ids[e.first(toP)]
			if !ok1 || !ok2 || from == to {
				d.Skipped["links whose ends are not modelled or not in the file"]++
				continue
			}
			r := graph.Relation{From: from, To: to, Status: graph.StatusReported, Sources: src, Origins: origin(e)}
			validity(&r, e)
			if e.Schema == "Ownership" {
				r.Type = graph.InvestsIn
				if p := e.first("percentage"); p != "" {
					if v, err := strconv.ParseFloat(strings.TrimSuffix(p, "%"), 64); err == nil && v >= 0 && v <= 100 {
						r.Properties = append(r.Properties, graph.Attribute{Name: "stake", Type: graph.AttrNumber,
							Value: strconv.FormatFloat(v, 'f', -1, 64), Unit: "percent", Sources: src})
					}
				}
			} else {
				r.Type = graph.PartnersWith
				r.Note = "FollowTheMoney UnknownLink"
				if role := e.first("role"); role != "" {
					r.Note += " (role: " + role + ")"
				}
			}
			addRel(r, "")
		case "Sanction":
			target, ok := ids[e.first("entity")]
			if !ok {
				d.Skipped["sanctions of entities not modelled or not in the file"]++
				continue
			}
			authority, program := e.first("authority"), e.first("program")
			nm := e.Caption
			if nm == "" || nm == "Sanction" {
				nm = strings.TrimSpace(authority + " " + program)
			}
			if nm == "" {
				nm = "Sanction " + e.ID
			}
			s := graph.Entity{ID: propose("ftm-" + Slug(e.ID)), Kind: graph.KindSanction, Name: nm, Sources: src, Origins: origin(e),
				ExternalIDs: []graph.ExternalID{{Scheme: "ftm", Value: e.ID}}}
			if c := e.first("country"); len(c) == 2 {
				s.Country = strings.ToUpper(c)
				if s.Country[0] < 'A' || s.Country[0] > 'Z' || s.Country[1] < 'A' || s.Country[1] > 'Z' {
					s.Country = ""
				}
			}
			attr(&s.Attributes, "authority", graph.AttrString, authority)
			attr(&s.Attributes, "program", graph.AttrString, program)
			attr(&s.Attributes, "reason", graph.AttrString, e.first("reason"))
			attr(&s.Attributes, "listing_date", graph.AttrDate, e.first("listingDate"))
			attr(&s.Attributes, "start_date", graph.AttrDate, e.first("startDate"))
			attr(&s.Attributes, "end_date", graph.AttrDate, e.first("endDate"))
			if u := e.first("sourceUrl"); isURL(u) {
				attr(&s.Attributes, "source_url", graph.AttrString, u)
			}
			d.Entities = append(d.Entities, s)
			r := graph.Relation{Type: graph.Targets, From: s.ID, To: target, Status: graph.StatusConfirmed, Sources: src, Origins: origin(e)}
			validity(&r, e)
			addRel(r, "")
		case "Directorship":
			d.Skipped["directorships (no person kind or board relation)"]++
		default:
			if _, ok := ftmKinds[e.Schema]; !ok {
				d.Skipped[e.Schema+" entities"]++
			}
		}
	}
	return d, nil
}
