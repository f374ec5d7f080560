package loaders

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/graph"
)

// smallChunks makes Load write a batch every n relations for the test.
func smallChunks(t *testing.T, n int) {
	old := loadChunk
	loadChunk = n
	t.Cleanup(func() { loadChunk = old })
}

func writeFiles(t *testing.T, files map[string]string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestLoadStreamsLikeOneBatch: an edge list streamed from its file in
// batches of 7 relations, rows repeating an edge across batches, into a
// seeded store, gives the store byte for byte what resolving it whole and
// applying it as one batch gives, and the same counts.
func TestLoadStreamsLikeOneBatch(t *testing.T) {
	smallChunks(t, 7)
	var edges strings.Builder
	edges.WriteString("source,target,type,category,weight\n")
	for i := 0; i < 60; i++ {
		// Every 10th row repeats an earlier edge, 20 rows (3 batches) on.
		a, b := i%12, (i*5+1)%12
		if i%10 == 9 && i >= 20 {
			a, b = (i-20)%12, ((i-20)*5+1)%12
		}
		if a == b {
			b = (b + 1) % 12
		}
		edges.WriteString("n" + itoa(a) + ",n" + itoa(b) + ",SUPPLIES,equipment," + itoa(i) + "\n")
	}
	edges.WriteString("n1,smic,SUPPLIES,equipment,1\n")
	var nodes strings.Builder
	nodes.WriteString("id,label,kind\n")
	for i := 0; i < 12; i++ {
		nodes.WriteString("n" + itoa(i) + ",Streamed Company " + itoa(i) + ",COMPANY\n")
	}
	nodes.WriteString("smic,SMIC,COMPANY\n")
	paths := writeFiles(t, map[string]string{"nodes.csv": nodes.String(), "edges.csv": edges.String()})
	opt := Options{Edition: "2026-02-03"}

	whole := seededStore(t)
	sets, err := ReadDataset("csv", paths, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := PlanLoad(context.Background(), whole, sets...)
	if err != nil {
		t.Fatal(err)
	}
	wantRes, err := want.Apply(context.Background(), whole)
	if err != nil {
		t.Fatal(err)
	}

	streamed := seededStore(t)
	sets, err = ReadDataset("csv", paths, opt)
	if err != nil {
		t.Fatal(err)
	}
	got, gotRes, err := Load(context.Background(), streamed, false, sets...)
	if err != nil {
		t.Fatal(err)
	}
	if gotRes != wantRes {
		t.Errorf("Load wrote %+v, one batch %+v", gotRes, wantRes)
	}
	if len(got.Created) != len(want.Created) || len(got.Merged) != len(want.Merged) ||
		len(got.RelCreated) != len(want.RelCreated) || got.RelUnchanged != want.RelUnchanged {
		t.Errorf("plans differ: streamed %d created, %d merged, %d relations created, %d unchanged; whole %d, %d, %d, %d",
			len(got.Created), len(got.Merged), len(got.RelCreated), got.RelUnchanged,
			len(want.Created), len(want.Merged), len(want.RelCreated), want.RelUnchanged)
	}
	a := exportBytes(t, whole, graph.Selection{}, "nquads", ExportOptions{})
	b := exportBytes(t, streamed, graph.Selection{}, "nquads", ExportOptions{})
	if !bytes.Equal(a, b) {
		t.Errorf("the streamed load's store differs from the one batch's (%d and %d bytes of N-Quads)", len(b), len(a))
	}
	if !strings.Contains(string(b), "Streamed Company 11") {
		t.Errorf("nothing loaded")
	}
}

// TestLoadBadRowLateWritesNothing: a bad row after several batches were
// staged fails the load with the file, line and field, and the store is
// as it was (a dry run alike).
func TestLoadBadRowLateWritesNothing(t *testing.T) {
	smallChunks(t, 3)
	var edges strings.Builder
	edges.WriteString("source,target,type\n")
	for i := 0; i < 20; i++ {
		edges.WriteString("n" + itoa(i%5) + ",n" + itoa((i%5+1+i/5)%5) + ",PARTNERS_WITH\n")
	}
	nodes := "id,label,kind\nn0,A0,COMPANY\nn1,A1,COMPANY\nn2,A2,COMPANY\nn3,A3,COMPANY\nn4,A4,COMPANY\n"
	for _, c := range []struct {
		name, row string
		want      []string
	}{
		// Caught reading the file, after 7 batches were staged.
		{"unknown node", "n1,Not An Id,PARTNERS_WITH", []string{"edges.csv:22:4: target", "unknown node"}},
		// An id the files do not define is looked up in the store, and
		// caught when its batch is validated.
		{"unknown entity", "n1,nobody,PARTNERS_WITH", []string{"edges.csv:22: relations[0].to", "unknown entity"}},
	} {
		for _, dry := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s dry=%v", c.name, dry), func(t *testing.T) { loadBadRow(t, nodes, edges.String()+c.row+"\n", dry, c.want) })
		}
	}
}

func loadBadRow(t *testing.T, nodes, edges string, dry bool, want []string) {
	paths := writeFiles(t, map[string]string{"nodes.csv": nodes, "edges.csv": edges})
	{
		s := seededStore(t)
		before := exportBytes(t, s, graph.Selection{}, "nquads", ExportOptions{})
		sets, err := ReadDataset("csv", paths, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = Load(context.Background(), s, dry, sets...)
		wantLoadError(t, err, want...)
		if after := exportBytes(t, s, graph.Selection{}, "nquads", ExportOptions{}); !bytes.Equal(before, after) {
			t.Errorf("dry run %v: a failed load changed the store", dry)
		}
	}
}

// TestLoadDryRunWritesNothing: a dry run reports what the load would do
// and leaves the store as it was.
func TestLoadDryRunWritesNothing(t *testing.T) {
	smallChunks(t, 2)
	paths := writeFiles(t, map[string]string{
		"nodes.csv": "id,label,kind\nn0,A0,COMPANY\nn1,A1,COMPANY\nn2,A2,COMPANY\n",
		"edges.csv": "source,target,type\nn0,n1,PARTNERS_WITH\nn1,n2,PARTNERS_WITH\nn0,n2,PARTNERS_WITH\n",
	})
	s := seededStore(t)
	before := exportBytes(t, s, graph.Selection{}, "nquads", ExportOptions{})
	sets, err := ReadDataset("csv", paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := Load(context.Background(), s, true, sets...)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.RelCreated) != 3 {
		t.Errorf("dry run plans %d new relations, want 3", len(p.RelCreated))
	}
	if after := exportBytes(t, s, graph.Selection{}, "nquads", ExportOptions{}); !bytes.Equal(before, after) {
		t.Errorf("a dry run changed the store")
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
