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
	decl("node", exportNodeFields, x.nodeCols)
	decl("edge", exportEdgeFields, x.edgeCols)
	att := func(k, v string) {
		if v == "" {
			return
		}
		x.str("          <attvalue")
		x.attr("for", k)
		x.attr("value", v)
		x.str("/>\n")
	}
	x.str("    <nodes>\n")
	for _, e := range x.g.Entities {
		vals := x.nodeValues(e)
		x.str("      <node")
		x.attr("id", e.ID)
		x.attr("label", vals[0])
		x.str(">\n        <attvalues>\n")
		for i, f := range exportNodeFields[1:] {
			att(f, vals[i+1])
		}
		x.flat(x.nodeCols, e.Attributes, func(c exportColumn, v string) { att(c.key(), v) })
		x.str("        </attvalues>\n      </node>\n")
		if err := x.tick(); err != nil {
			return err
		}
	}
	x.str("    </nodes>\n    <edges>\n")
	for _, r := range x.g.Relations {
		vals := x.edgeValues(r)
		x.str("      <edge")
		x.attr("id", r.ID)
		x.attr("source", r.From)
		x.attr("target", r.To)
		x.attr("label", vals[0])
		x.attr("kind", string(r.Type))
		x.str(">\n        <attvalues>\n")
		for i, f := range exportEdgeFields[1:] {
			att(f, vals[i+1])
		}
		x.flat(x.edgeCols, r.Properties, func(c exportColumn, v string) { att(c.key(), v) })
		x.str("        </attvalues>\n")
		if !r.ValidFrom.IsZero() || !r.ValidTo.IsZero() {
			x.str("        <spells>\n          <spell")
			if !r.ValidFrom.IsZero() {
				x.attr("start", exportDay(r.ValidFrom.First()))
			}
			if !r.ValidTo.IsZero() {
				x.attr("end", exportDay(r.ValidTo.Last()))
			}
			x.str("/>\n        </spells>\n")
		}
		x.str("      </edge>\n")
		if err := x.tick(); err != nil {
			return err
		}
	}
	x.str("    </edges>\n  </graph>\n</gexf>\n")
	return nil
}
