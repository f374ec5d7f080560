package schema_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/schema"
)

// TestAnalysisFields runs exposure, chokepoints, timeline and diff on the
// curated data through GraphQL (both executors give the same data; see
// exec_test.go).
func TestAnalysisFields(t *testing.T) {
	s := newSchema(t, curated(t), schema.Config{})

	r := query(t, s, `{exposure(id:"cloudmatrix-384"){sanction{id kind} hops status path{length nodes{id} relations{type status}}}}`, nil)
	noErrors(t, r)
	list := get(r, "data", "exposure").([]any)
	found := false
	for _, e := range list {
		if get(e, "sanction", "id") == "entity-list-2019-05-huawei" {
			found = get(e, "hops") == 3.0 && get(e, "path", "length") == 3.0 && get(e, "status") == "CONFIRMED"
		}
		if kind := get(e, "sanction", "kind"); kind != "SANCTION" && kind != "REGULATION" {
			t.Errorf("exposure to a %v", kind)
		}
	}
	if !found {
		t.Errorf("exposure(cloudmatrix-384) lacks Huawei's 2019 listing at 3 hops, confirmed: %v", list)
	}

	r = query(t, s, `{chokepoints(first:3){entity{id} score dependentCount dependents(first:2){id kind}}}`, nil)
	noErrors(t, r)
	cps := get(r, "data", "chokepoints").([]any)
	if len(cps) != 3 {
		t.Fatalf("chokepoints(first:3) gave %d", len(cps))
	}
	for i, c := range cps {
		if n := len(get(c, "dependents").([]any)); n != min(2, int(get(c, "dependentCount").(float64))) {
			t.Errorf("dependents(first:2) gave %d", n)
		}
		if sc := get(c, "score").(float64); sc <= 0 || sc > 1 || (i > 0 && get(cps[i-1], "score").(float64) < sc) {
			t.Errorf("score %v at %d", sc, i)
		}
	}

	r = query(t, s, `{timeline(id:"smic", from:"2020", to:"2020", first:10){date kind description entity{id} relation{id} sources{key}}}`, nil)
	noErrors(t, r)
	events := get(r, "data", "timeline").([]any)
	if len(events) == 0 {
		t.Fatal("no SMIC events in 2020")
	}
	kinds := []string{}
	for _, e := range events {
		if d := get(e, "date").(string); !strings.HasPrefix(d, "2020") {
			t.Errorf("event dated %s outside 2020", d)
		}
		kinds = append(kinds, get(e, "kind").(string))
	}
	if !slices.Contains(kinds, "SANCTIONED") {
		t.Errorf("SMIC's 2020 events %v have no SANCTIONED", kinds)
	}

	r = query(t, s, `{diff(from:"2019", to:"2021", ids:["huawei"]){added{id} ended{id validTo} addedCount endedCount changedCount truncated changedAttributes{entity{id} name before{value} after{value}}}}`, nil)
	noErrors(t, r)
	if ended := ids(get(r, "data", "diff", "ended"), "id"); !slices.Contains(ended, "tsmc--supplies--huawei") {
		t.Errorf("diff ended %v lacks tsmc--supplies--huawei", ended)
	}
}

// TestAnalysisArguments: every argument is bounded and a bad one is named
// in a BAD_USER_INPUT (or NOT_FOUND) error; lists are costed by first.
func TestAnalysisArguments(t *testing.T) {
	s := newSchema(t, curated(t), schema.Config{MaxHops: 5, MaxPageSize: 200})
	tests := []struct {
		query, code, mention string
	}{
		{`{exposure(id:"huawei", maxHops:6){hops}}`, "BAD_USER_INPUT", "maxHops"},
		{`{exposure(id:"huawei", maxHops:0){hops}}`, "BAD_USER_INPUT", "maxHops"},
		{`{exposure(id:"huawei", first:201){hops}}`, "BAD_USER_INPUT", "first"},
		{`{exposure(id:"huawei", types:[COMPETES_WITH]){hops}}`, "BAD_USER_INPUT", "COMPETES_WITH"},
		{`{exposure(id:"no-such-entity"){hops}}`, "NOT_FOUND", "no-such-entity"},
		{`{chokepoints(category:"hbm"){score}}`, "BAD_USER_INPUT", "category"},
		{`{chokepoints(first:0){score}}`, "BAD_USER_INPUT", "first"},
		{`{chokepoints(types:[TARGETS]){score}}`, "BAD_USER_INPUT", "TARGETS"},
		{`{chokepoints{dependents(first:-1){id}}}`, "BAD_USER_INPUT", "first"},
		{`{timeline(id:"smic", from:"2022", to:"2020"){date}}`, "BAD_USER_INPUT", "from"},
		{`{timeline(id:"smic", first:1000){date}}`, "BAD_USER_INPUT", "first"},
		{`{timeline(id:"smic", from:"2022-13"){date}}`, "", "from"},
		{`{diff(from:"2021", to:"2019"){addedCount}}`, "BAD_USER_INPUT", "from"},
		{`{diff(from:"2021", to:"2021"){addedCount}}`, "BAD_USER_INPUT", "from"},
		{`{diff(from:"2019", to:"2021", hops:6, ids:["huawei"]){addedCount}}`, "BAD_USER_INPUT", "hops"},
		{`{diff(from:"2019", to:"2021", ids:["nope"]){addedCount}}`, "NOT_FOUND", "nope"},
		{`{search(text:"` + strings.Repeat("chip ", 17) + `"){id}}`, "BAD_USER_INPUT", "too long"},
		// Costs: exposure's first multiplies its path's lists.
		{`{exposure(id:"huawei", first:200){path{nodes{id} relations{from{id}}}}}`, "QUERY_TOO_COMPLEX", "complexity"},
	}
	for _, tt := range tests {
		r := query(t, s, tt.query, nil)
		got := codes(r)
		if len(got) == 0 {
			t.Errorf("%s: no error", tt.query)
			continue
		}
		if tt.code != "" && got[0] != tt.code {
			t.Errorf("%s: code %v, want %s", tt.query, got, tt.code)
		}
		if msg, _ := get(r, "errors", 0, "message").(string); !strings.Contains(msg, tt.mention) {
			t.Errorf("%s: message %q does not mention %q", tt.query, msg, tt.mention)
		}
	}
	// diff's first bounds each of its lists once: no extra factor for them.
	r := query(t, s, `{diff(from:"2019", to:"2021", first:200){added{id} ended{id} changedAttributes{name}}}`, nil)
	noErrors(t, r)
}
