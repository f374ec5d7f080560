package loaders

import (
	"encoding/xml"
	"strconv"
)

// XML is written by hand, element by element, through the exporter's
// buffered writer; xml.EscapeText escapes text and attribute values alike.

func (x *exporter) str(s string) { x.w.WriteString(s) }

// esc writes s escaped for XML text or a quoted attribute value.
func (x *exporter) esc(s string) {
	if !exportNeedsEscape(s) {
		x.w.WriteString(s)
		return
	}
	_ = xml.EscapeText(x.w, []byte(s))
}

func exportNeedsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '&', c == '<', c == '>', c == '"', c == '\'', c < 0x20, c >= 0x80:
			return true
		}
	}
	return false
}

// attr writes ` name="value"`.
func (x *exporter) attr(name, value string) {
	x.w.WriteByte(' ')
	x.w.WriteString(name)
	x.w.WriteString(`="`)
	x.esc(value)
	x.w.WriteByte('"')
}

const graphmlNS = "http://graphml.graphdrawing.org/xmlns"

// xsdType is the attribute type GraphML and GEXF both declare for t.
func xsdType(t exportValueType) string {
	switch t {
	case vtNumber:
		return "double"
	case vtBool:
		return "boolean"
	}
	return "string"
}

// graphml writes GraphML 1.0: one <key> per field (ids "n.<field>" and
// "e.<field>", attr.name the field), a directed graph, nodes then edges.
func (x *exporter) graphml() error {
	x.str(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.str(`<graphml xmlns="` + graphmlNS + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xsi:schemaLocation="` + graphmlNS + ` http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">` + "\n")
	key := func(domain, prefix, name, typ string) {
		x.str("  <key")
		x.attr("id", prefix+name)
		x.attr("for", domain)
		x.attr("attr.name", name)
		x.attr("attr.type", typ)
		x.str("/>\n")
	}
	prefix := func(t *exportTable) string { return t.domain[:1] + "." }
	tables := []*exportTable{x.nodes, x.edges}
	for _, t := range tables {
		for _, f := range t.fields {
			key(t.domain, prefix(t), f, exportFieldType(f))
		}
		for _, c := range t.cols {
			key(t.domain, prefix(t), c.key(), xsdType(c.typ))
		}
	}
	key("graph", "g.", "truncated", "boolean")
	x.str(`  <graph id="chipgraph" edgedefault="directed">` + "\n")
	x.str(`    <data key="g.truncated">` + strconv.FormatBool(x.g.Truncated) + "</data>\n")
	for _, t := range tables {
		p := prefix(t)
		data := func(k, v string) {
			if v == "" {
				return
			}
			x.str(`      <data key="`)
			x.str(p)
			x.esc(k)
			x.str(`">`)
			x.esc(v)
			x.str("</data>\n")
		}
		err := x.each(t, func(el *exportElement) error {
			x.str("    <" + t.domain)
			x.attr("id", el.id)
			if t == x.edges {
				x.attr("source", el.from)
				x.attr("target", el.to)
			}
			x.str(">\n")
			for i, f := range t.fields {
				data(f, el.values[i])
			}
			x.cells(t.cols, el.attrs, func(i int, v string) { data(t.cols[i].key(), v) })
			x.str("    </" + t.domain + ">\n")
			return nil
		})
		if err != nil {
			return err
		}
	}
	x.str("  </graph>\n</graphml>\n")
	return nil
}
