package loaders

import (
	"archive/zip"
	"encoding/csv"
	"io"
	"slices"
	"time"
)

// CSV follows Gephi's spreadsheet import: the node table starts with Id and
// Label, the edge table with Source, Target, Type (always "Directed": Gephi's
// Type is the direction), Id and Label (the relation type, which is also in
// relation_type). The other columns are the shared fields (attributes as
// JSON) and the attr.<name> columns.

// csvHeader is the header of t's table: Gephi's leading columns, the
// shared fields (label as Label, an edge's type as relation_type, since
// Gephi's Type is the direction) and the attribute columns.
func csvHeader(t *exportTable, lead []string) []string {
	h := append(slices.Clone(lead), "Label")
	for _, f := range t.fields[1:] {
		if f == "type" {
			f = "relation_type"
		}
		h = append(h, f)
	}
	for _, c := range t.cols {
		h = append(h, c.key())
	}
	return h
}

func (x *exporter) csvNodes(w io.Writer) error {
	return x.csvTable(w, x.nodes, []string{"Id"}, func(el *exportElement) []string { return []string{el.id} })
}

func (x *exporter) csvEdges(w io.Writer) error {
	return x.csvTable(w, x.edges, []string{"Source", "Target", "Type", "Id"},
		func(el *exportElement) []string { return []string{el.from, el.to, "Directed", el.id} })
}

// csvTable writes t as CSV: the lead columns (with lead values), then the
// shared fields and the attribute columns.
func (x *exporter) csvTable(w io.Writer, t *exportTable, lead []string, leadValues func(*exportElement) []string) error {
	cw := csv.NewWriter(w)
	header := csvHeader(t, lead)
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, len(header))
	fixed := len(lead) + len(t.fields)
	err := x.each(t, func(el *exportElement) error {
		copy(row, leadValues(el))
		copy(row[len(lead):], el.values)
		clear(row[fixed:])
		x.cells(t.cols, el.attrs, func(i int, v string) { row[fixed+i] = v })
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvFiles writes the node table to x.w and the edge table to edges.
func (x *exporter) csvFiles(edges io.Writer) error {
	if err := x.csvNodes(x.w); err != nil {
		return err
	}
	return x.csvEdges(edges)
}

// csvZip writes a zip holding nodes.csv and edges.csv to w.
func (x *exporter) csvZip(w io.Writer) error {
	zw := zip.NewWriter(w)
	now := time.Now().UTC()
	for _, part := range []struct {
		name  string
		write func(io.Writer) error
	}{{"nodes.csv", x.csvNodes}, {"edges.csv", x.csvEdges}} {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: part.name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return err
		}
		if err := part.write(f); err != nil {
			return err
		}
	}
	return zw.Close()
}
