package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
)

// TestAnalysisCommands runs search, exposure, timeline, diff and
// chokepoints in process on the embedded curated data: their answers, CSV
// output, and errors that name the bad argument with exit status 2 (1 for
// an unknown entity).
func TestAnalysisCommands(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		stdout     []string // substrings of stdout
		stderr     string   // substring of stderr
		csvColumns int      // with --format csv: columns of every record
	}{
		{args: []string{"search", "Cambrcon"}, stdout: []string{"cambricon ", "COMPANY"}},
		{args: []string{"search", "--format", "csv", "--kinds", "memory", "high", "bandwidth", "memory"}, stdout: []string{"id,kind,name,score\n", "hbm,MEMORY,"}, csvColumns: 4},
		{args: []string{"exposure", "cloudmatrix-384"}, stdout: []string{"entity-list-2019-05-huawei", "cloudmatrix-384 -USES_COMPONENT-> ascend-910c <-DESIGNS- huawei <-TARGETS- entity-list-2019-05-huawei"}},
		{args: []string{"exposure", "--format", "csv", "--as-of", "2025", "cloudmatrix-384"}, stdout: []string{"sanction,name,hops,status,path\n"}, csvColumns: 5},
		{args: []string{"timeline", "smic", "--from", "2020-12", "--to", "2020-12"}, stdout: []string{"2020-12-18", "SANCTIONED", "entity-list-2020-12-smic"}},
		{args: []string{"timeline", "--format", "csv", "smic"}, stdout: []string{"date,kind,description,relation,entity,sources\n"}, csvColumns: 6},
		{args: []string{"diff", "2019", "2021", "--ids", "huawei"}, stdout: []string{"ended", "tsmc--supplies--huawei", "added", "entity-list-2020-08-huawei-affiliates--targets--huawei"}},
		{args: []string{"diff", "--format", "csv", "--first", "5", "2019", "2025"}, stdout: []string{"change,date,id,type,from,to,status,before,after\n"}, csvColumns: 9},
		{args: []string{"chokepoints", "--first", "3"}, stdout: []string{"id", "score", "dependents"}},
		{args: []string{"chokepoints", "--format", "csv", "--category", "memory", "--kinds", "company"}, stdout: []string{"id,kind,name,score,dependents,examples\n"}, csvColumns: 6},

		{args: []string{"search"}, code: exitUsage, stderr: "missing TEXT"},
		{args: []string{"search", strings.Repeat("chip ", 17)}, code: exitUsage, stderr: "too long"},
		{args: []string{"search", "--format", "xml", "smic"}, code: exitUsage, stderr: "--format"},
		{args: []string{"search", "--kinds", "CHP", "smic"}, code: exitUsage, stderr: `--kinds: unknown entity kind "CHP"`},
		{args: []string{"exposure"}, code: exitUsage, stderr: "missing entity ID"},
		{args: []string{"exposure", "huawei", "smic"}, code: exitUsage, stderr: `unexpected argument "smic"`},
		{args: []string{"exposure", "--max-hops", "7", "huawei"}, code: exitUsage, stderr: "--max-hops"},
		{args: []string{"exposure", "--as-of", "2025-02-30", "huawei"}, code: exitUsage, stderr: "--as-of"},
		{args: []string{"exposure", "--types", "competes-with", "huawei"}, code: exitUsage, stderr: "COMPETES_WITH"},
		{args: []string{"exposure", "no-such-entity"}, code: exitData, stderr: `no entity has the id, name or alias "no-such-entity"`},
		{args: []string{"timeline", "smic", "--from", "2022", "--to", "2020"}, code: exitUsage, stderr: "--from 2022 is after --to 2020"},
		{args: []string{"diff", "2021"}, code: exitUsage, stderr: "two dates"},
		{args: []string{"diff", "2021", "2019"}, code: exitUsage, stderr: "must be before"},
		{args: []string{"diff", "20x1", "2022"}, code: exitUsage, stderr: `FROM: bad date "20x1"`},
		{args: []string{"diff", "--hops", "9", "2019", "2021"}, code: exitUsage, stderr: "--hops"},
		{args: []string{"chokepoints", "--category", "hbm"}, code: exitUsage, stderr: `unknown category "hbm"`},
		{args: []string{"chokepoints", "--first", "0"}, code: exitUsage, stderr: "--first"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tt.args, testEnvFor(&out, &errOut, nil))
		name := strings.Join(tt.args, " ")
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d; stderr: %s", name, code, tt.code, errOut.String())
			continue
		}
		for _, want := range tt.stdout {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: stdout lacks %q:\n%s", name, want, out.String())
			}
		}
		if !strings.Contains(errOut.String(), tt.stderr) {
			t.Errorf("%s: stderr lacks %q:\n%s", name, tt.stderr, errOut.String())
		}
		if tt.csvColumns > 0 {
			records, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
			if err != nil || len(records) < 2 {
				t.Errorf("%s: CSV %d records, %v", name, len(records), err)
			}
			for _, r := range records {
				if len(r) != tt.csvColumns {
					t.Errorf("%s: CSV record %q has %d columns, want %d", name, r, len(r), tt.csvColumns)
				}
			}
		}
	}
}
