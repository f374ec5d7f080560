package loaders

const gexfNS = "http://gexf.net/1.3"

// gexf writes GEXF 1.3 in dynamic mode with timeformat date: each edge with
// a validFrom or validTo gets one spell from the first day of validFrom to
// the last day of validTo (dates of year or month precision cover their
// whole year or month). Attributes are static and declared with ids equal
// to their titles; node and edge labels are the label attribute of the
// element itself. The relation type is also the edge's kind, so Gephi keeps
// parallel edges of different types apart.
func (x *exporter) gexf() error {
	x.str(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.str(`<gexf xmlns="` + gexfNS + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xsi:schemaLocation="` + gexfNS + ` http://gexf.net/1.3/gexf.xsd" version="1.3">` + "\n")
	x.str("  <meta>\n    <creator>chipgraph</creator>\n    <description>")
	if x.g.Truncated {
		x.str("chipgraph export (truncated by the limit)")
	} else {
		x.str("chipgraph export")
	}
	x.str("</description>\n  </meta>\n")
	x.str(`  <graph defaultedgetype="directed" mode="dynamic" timeformat="date">` + "\n")
	decl := func(class string, fields []string, cols []exportColumn) {
		x.str(`    <attributes class="` + class + `" mode="static">` + "\n")
		for _, f := range fields[1:] { // label is the element's own
			x.str("      <attribute")
			x.attr("id", f)
			x.attr("title", f)
			x.attr("type", exportFieldType(f))
			x.str("/>\n")
		}
		for _, c := range cols {
			x.str("      <attribute")
			x.attr("id", c.key())
			x.attr("title", c.key())
			x.attr("type", xsdType(c.typ))
			x.str("/>\n")
		}
		x.str("    </attributes>\n")
	}
	for _, t := range []*exportTable{x.nodes, x.edges} {
		decl(t.domain, t.fields, t.cols)
	}
	att := func(k, v string) {
		if v == "" {
			return
		}
		x.str("          <attvalue")
		x.attr("for", k)
		x.attr("value", v)
		x.str("/>\n")
	}
	for _, t := range []*exportTable{x.nodes, x.edges} {
		x.str("    <" + t.domain + "s>\n")
		err := x.each(t, func(el *exportElement) error {
			x.startElement("      ", t, el)
			x.attr("label", el.values[0])
			if t == x.edges {
				x.attr("kind", el.class)
			}
			x.str(">\n        <attvalues>\n")
			for i, f := range t.fields[1:] {
				att(f, el.values[i+1])
			}
			x.cells(t.cols, el.attrs, func(i int, v string) { att(t.cols[i].key(), v) })
			x.str("        </attvalues>\n")
			if r := el.relation; r != nil && (!r.ValidFrom.IsZero() || !r.ValidTo.IsZero()) {
				x.str("        <spells>\n          <spell")
				if !r.ValidFrom.IsZero() {
					x.attr("start", exportDay(r.ValidFrom.First()))
				}
				if !r.ValidTo.IsZero() {
					x.attr("end", exportDay(r.ValidTo.Last()))
				}
				x.str("/>\n        </spells>\n")
			}
			x.str("      </" + t.domain + ">\n")
			return nil
		})
		if err != nil {
			return err
		}
		x.str("    </" + t.domain + "s>\n")
	}
	x.str("  </graph>\n</gexf>\n")
	return nil
}
