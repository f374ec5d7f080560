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
	for _, f := range exportNodeFields {
		key("node", "n.", f, "string")
	}
	for _, c := range x.nodeCols {
		key("node", "n.", c.key(), xsdType(c.typ))
	}
	for _, f := range exportEdgeFields {
		key("edge", "e.", f, exportFieldType(f))
	}
	for _, c := range x.edgeCols {
		key("edge", "e.", c.key(), xsdType(c.typ))
	}
	key("graph", "g.", "truncated", "boolean")
	x.str(`  <graph id="chipgraph" edgedefault="directed">` + "\n")
	x.str(`    <data key="g.truncated">` + strconv.FormatBool(x.g.Truncated) + "</data>\n")
	data2 := func(prefix, k, v string) {
		if v == "" {
			return
		}
		x.str(`      <data key="`)
		x.str(prefix)
		x.esc(k)
		x.str(`">`)
		x.esc(v)
		x.str("</data>\n")
	}
	data := func(k, v string) { data2("", k, v) }
	nodeKeys, edgeKeys := exportPrefixed("n.", exportNodeFields), exportPrefixed("e.", exportEdgeFields)
	for _, e := range x.g.Entities {
		x.str("    <node")
		x.attr("id", e.ID)
		x.str(">\n")
		vals := x.nodeValues(e)
		for i, k := range nodeKeys {
			data(k, vals[i])
		}
		x.flat(x.nodeCols, e.Attributes, func(c exportColumn, v string) { data2("n.", c.key(), v) })
		x.str("    </node>\n")
		if err := x.tick(); err != nil {
			return err
		}
	}
	for _, r := range x.g.Relations {
		x.str("    <edge")
		x.attr("id", r.ID)
		x.attr("source", r.From)
		x.attr("target", r.To)
		x.str(">\n")
		vals := x.edgeValues(r)
		for i, k := range edgeKeys {
			data(k, vals[i])
		}
		x.flat(x.edgeCols, r.Properties, func(c exportColumn, v string) { data2("e.", c.key(), v) })
		x.str("    </edge>\n")
		if err := x.tick(); err != nil {
			return err
		}
	}
	x.str("  </graph>\n</graphml>\n")
	return nil
}

func exportPrefixed(prefix string, fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = prefix + f
	}
	return out
}
