package loaders

import (
	"strconv"
	"unicode/utf8"
)

// XML is written by hand, element by element, through the exporter's
// buffered writer; xml.EscapeText escapes text and attribute values alike.

func (x *exporter) str(s string) { x.w.WriteString(s) }

// esc writes s escaped for a quoted XML attribute value (or text), as
// xml.EscapeText does, without copying s.
func (x *exporter) esc(s string) { x.escape(s, true) }

// escText writes s escaped for XML character data, where quotes need no
// escaping (exports hold much quoted JSON).
func (x *exporter) escText(s string) { x.escape(s, false) }

func (x *exporter) escape(s string, quotes bool) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		var rep string
		size := 1
		switch {
		case c == '&':
			rep = "&amp;"
		case c == '<':
			rep = "&lt;"
		case c == '>':
			rep = "&gt;"
		case c == '"' && quotes:
			rep = "&#34;"
		case c == '\'' && quotes:
			rep = "&#39;"
		case c == '\t':
			rep = "&#x9;"
		case c == '\n':
			rep = "&#xA;"
		case c == '\r':
			rep = "&#xD;"
		case c < 0x20:
			rep = "\uFFFD"
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			size = n
			if (r == utf8.RuneError && n == 1) || !exportXMLChar(r) {
				rep = "\uFFFD"
			}
		}
		if rep == "" {
			i += size
			continue
		}
		x.w.WriteString(s[start:i])
		x.w.WriteString(rep)
		i += size
		start = i
	}
	x.w.WriteString(s[start:])
}

// exportXMLChar reports whether r is a character XML 1.0 allows.
func exportXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
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
			x.escText(v)
			x.str("</data>\n")
		}
		err := x.each(t, func(el *exportElement) error {
			x.startElement("    ", t, el)
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

// startElement writes the start of el's node or edge element, GraphML's
// and GEXF's alike: "<node id=…" or "<edge id=… source=… target=…",
// leaving the tag open for more attributes.
func (x *exporter) startElement(indent string, t *exportTable, el *exportElement) {
	x.str(indent + "<" + t.domain)
	x.attr("id", el.id)
	if t == x.edges {
		x.attr("source", el.from)
		x.attr("target", el.to)
	}
}
