package graph

import (
	"math"
	"strconv"
	"testing"
)

func num(name string, v float64) Attribute {
	return Attribute{Name: name, Type: AttrNumber, Value: strconv.FormatFloat(v, 'f', -1, 64), Sources: []string{"s"}}
}

func chip(attrs ...Attribute) *Entity {
	return &Entity{ID: "c", Kind: KindChip, Name: "c", Attributes: attrs, Sources: []string{"s"}}
}

func ptr(f float64) *float64 { return &f }

func near(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 0.005
}

// TestAssessExportControl checks the formula against the TPP and
// performance density values published for well-known chips (H100 SXM
// ≈ 15,832 and density 19.4; A100 4,992; H20 2,368 and density 2.9, as
// TweakTown and SemiAnalysis report) and the thresholds at their edges.
func TestAssessExportControl(t *testing.T) {
	yes, no, unknown := Yes, No, Unknown
	tests := []struct {
		name     string
		attrs    []Attribute
		tpp, pd  *float64
		bits     int
		oct2022  Truth
		oct2023  Truth
		category string
	}{
		{"H100 SXM from dense FP8/INT8 (1,979 TOPS)",
			[]Attribute{num(SpecFP16Dense, 989.4), num(SpecINT8Dense, 1979), num(SpecDieArea, 814), num(SpecInterconnect, 900)},
			ptr(15832), ptr(19.449), 8, yes, yes, Category3A090a},
		{"H100 SXM from dense FP16 alone",
			[]Attribute{num(SpecFP16Dense, 989.4), num(SpecDieArea, 814)},
			ptr(15830.4), ptr(19.447), 16, unknown, yes, Category3A090a},
		{"A100: controlled in 2022 with 600 GB/s NVLink",
			[]Attribute{num(SpecFP16Dense, 312), num(SpecINT8Dense, 624), num(SpecDieArea, 826), num(SpecInterconnect, 600)},
			ptr(4992), ptr(6.043), 16, yes, yes, Category3A090a},
		{"A800: same compute, 400 GB/s, escaped 2022 but not 2023",
			[]Attribute{num(SpecFP16Dense, 312), num(SpecDieArea, 826), num(SpecInterconnect, 400)},
			ptr(4992), ptr(6.043), 16, no, yes, Category3A090a},
		{"H20: below both",
			[]Attribute{num(SpecFP16Dense, 148), num(SpecINT8Dense, 296), num(SpecDieArea, 814), num(SpecInterconnect, 900)},
			ptr(2368), ptr(2.909), 16, no, no, CategoryNone},
		{"3A090.a by density: TPP 1600, PD 5.92",
			[]Attribute{num(SpecFP16Dense, 100), num(SpecDieArea, 1600/5.92)},
			ptr(1600), ptr(5.92), 16, no, yes, Category3A090a},
		{"3A090.b.1: TPP 2400, PD 1.6",
			[]Attribute{num(SpecFP16Dense, 150), num(SpecDieArea, 1500), num(SpecInterconnect, 100)},
			ptr(2400), ptr(1.6), 16, no, yes, Category3A090b},
		{"3A090.b.2: TPP 1600, PD 3.2",
			[]Attribute{num(SpecINT8Dense, 200), num(SpecDieArea, 500)},
			ptr(1600), ptr(3.2), 8, no, yes, Category3A090b},
		{"just below b.2: TPP 1600, PD 3.19",
			[]Attribute{num(SpecINT8Dense, 200), num(SpecDieArea, 1600/3.19)},
			ptr(1600), ptr(3.19), 8, no, no, CategoryNone},
		{"TPP 2399 with PD 2: nothing",
			[]Attribute{num(SpecFP16Dense, 149.9375), num(SpecDieArea, 1199.5)},
			ptr(2399), ptr(2), 16, no, no, CategoryNone},
		{"TPP just below 4800 and no die area: unknown",
			[]Attribute{num(SpecFP16Dense, 299)},
			ptr(4784), nil, 16, no, unknown, ""},
		{"TPP 4800 decides without a die area",
			[]Attribute{num(SpecFP8Dense, 600), num(SpecInterconnect, 600)},
			ptr(4800), nil, 8, yes, yes, Category3A090a},
		{"two compute dies double the area",
			[]Attribute{num(SpecBF16Dense, 1024), num(SpecDieArea, 537), num(SpecLogicDieCount, 2)},
			ptr(16384), ptr(15.255), 16, unknown, yes, Category3A090a},
		{"incomplete area: density is an upper bound that cannot rule a threshold in",
			[]Attribute{num(SpecFP16Dense, 256), num(SpecDieArea, 456.25), {Name: SpecDieAreaIncomplete, Type: AttrBool, Value: "true", Sources: []string{"s"}}},
			ptr(4096), ptr(8.978), 16, no, unknown, ""},
		{"incomplete area below every density threshold still rules them out",
			[]Attribute{num(SpecFP16Dense, 100), num(SpecDieArea, 1000), {Name: SpecDieAreaIncomplete, Type: AttrBool, Value: "true", Sources: []string{"s"}}},
			ptr(1600), ptr(1.6), 16, no, no, CategoryNone},
		{"sparse figures do not count",
			[]Attribute{num(SpecFP16Sparse, 1979), num(SpecDieArea, 814)},
			nil, nil, 0, unknown, unknown, ""},
		{"FP32 can give the maximum",
			[]Attribute{num(SpecFP32Dense, 37), num(SpecFP16Dense, 60)},
			ptr(1184), nil, 32, no, no, CategoryNone},
		{"only a 32-bit figure: TPP is a lower bound, which can rule in but not out",
			[]Attribute{num(SpecFP32Dense, 100)},
			ptr(3200), nil, 32, unknown, unknown, ""},
		{"a 32-bit lower bound over 4800 rules in",
			[]Attribute{num(SpecFP32Dense, 160)},
			ptr(5120), nil, 32, unknown, yes, Category3A090a},
		{"a slow link rules out 2022 without a throughput",
			[]Attribute{num(SpecInterconnect, 400)},
			nil, nil, 0, no, unknown, ""},
		{"nothing known",
			nil, nil, nil, 0, unknown, unknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := AssessExportControl(chip(tt.attrs...))
			if !near(x.TPP, tt.tpp) || x.TPPBits != tt.bits {
				t.Errorf("TPP = %v (%d bits), want %v (%d bits)", deref(x.TPP), x.TPPBits, deref(tt.tpp), tt.bits)
			}
			if !near(x.PerformanceDensity, tt.pd) {
				t.Errorf("performance density = %v, want %v", deref(x.PerformanceDensity), deref(tt.pd))
			}
			if x.Oct2022 != tt.oct2022 || x.Oct2023 != tt.oct2023 || x.Category != tt.category {
				t.Errorf("oct2022 %v oct2023 %v category %q; want %v %v %q", x.Oct2022, x.Oct2023, x.Category, tt.oct2022, tt.oct2023, tt.category)
			}
		})
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// Hostile or broken values count as missing: the assessment never panics,
// never divides by zero and never reports a non-finite figure.
func TestAssessExportControlRejectsUnusableValues(t *testing.T) {
	for _, v := range []string{"NaN", "+Inf", "-Inf", "0", "-5", "1e309", "abc", ""} {
		e := chip(
			Attribute{Name: SpecFP16Dense, Type: AttrNumber, Value: v},
			Attribute{Name: SpecDieArea, Type: AttrNumber, Value: v},
			Attribute{Name: SpecLogicDieCount, Type: AttrNumber, Value: v},
			Attribute{Name: SpecInterconnect, Type: AttrNumber, Value: v},
		)
		x := AssessExportControl(e)
		if x.TPP != nil || x.DieArea != nil || x.PerformanceDensity != nil || x.Interconnect != nil {
			t.Errorf("value %q: used as an input: %+v", v, x)
		}
		if x.Oct2022 != Unknown || x.Oct2023 != Unknown || x.Category != "" {
			t.Errorf("value %q: answered %v %v %q from no inputs", v, x.Oct2022, x.Oct2023, x.Category)
		}
	}
	// Finite inputs whose product overflows.
	x := AssessExportControl(chip(num(SpecFP64Dense, 1e307), num(SpecDieArea, 1e-300)))
	if x.TPP != nil || x.PerformanceDensity != nil {
		t.Errorf("overflowing TPP used: %v %v", deref(x.TPP), deref(x.PerformanceDensity))
	}
	// A string attribute of a number name is not a number.
	x = AssessExportControl(chip(Attribute{Name: SpecFP16Dense, Type: AttrString, Value: "989"}))
	if x.TPP != nil {
		t.Errorf("string attribute used: %v", *x.TPP)
	}
}

// When every value of an input is disputed, the answer holds only if it
// holds for all of them.
func TestAssessExportControlDisputedInputs(t *testing.T) {
	d := func(a Attribute) Attribute { a.Status = StatusDisputed; return a }
	// Ascend 910C-like: Huawei's 784 GB/s against a reported 400 GB/s.
	x := AssessExportControl(chip(num(SpecFP16Dense, 800), d(num(SpecInterconnect, 784)), d(num(SpecInterconnect, 400))))
	if x.Oct2022 != Unknown || *x.Interconnect != 784 || x.InterconnectRange.Min != 400 || x.InterconnectRange.Max != 784 {
		t.Errorf("split interconnect: oct2022 %v, interconnect %v %+v", x.Oct2022, deref(x.Interconnect), x.InterconnectRange)
	}
	if x.Oct2023 != Yes {
		t.Errorf("TPP 12,800 decides 2023 whatever the link: %v", x.Oct2023)
	}
	// Both disputed values on the same side of the line decide it.
	x = AssessExportControl(chip(num(SpecFP16Dense, 800), d(num(SpecInterconnect, 784)), d(num(SpecInterconnect, 650))))
	if x.Oct2022 != Yes {
		t.Errorf("784 and 650 are both >= 600: %v", x.Oct2022)
	}
	// Die counts of 1 and 2 both disputed: the density spans both.
	x = AssessExportControl(chip(num(SpecFP16Dense, 200), num(SpecDieArea, 500), d(num(SpecLogicDieCount, 1)), d(num(SpecLogicDieCount, 2))))
	// Either 3A090.a (density 6.4) or 3A090.b (3.2): controlled either way,
	// the paragraph unknown.
	if r := x.PerformanceDensityRange; r == nil || r.Min != 3.2 || r.Max != 6.4 || x.Oct2023 != Yes || x.Category != "" {
		t.Errorf("split die count: range %+v, oct2023 %v, category %q", r, x.Oct2023, x.Category)
	}
	if len(x.Inputs()) != 4 {
		t.Errorf("inputs %+v, want the throughput, the area and both counts", x.Inputs())
	}
}

// The undisputed value wins when sources disagree, and the inputs name it.
func TestAssessExportControlPrefersUndisputed(t *testing.T) {
	disputed := num(SpecInterconnect, 400)
	disputed.Status = StatusDisputed
	x := AssessExportControl(chip(num(SpecFP16Dense, 800), disputed, num(SpecInterconnect, 784)))
	if x.Interconnect == nil || *x.Interconnect != 784 {
		t.Fatalf("interconnect = %v, want 784", deref(x.Interconnect))
	}
	if in := x.Inputs(); len(in) != 2 || in[1].Value != "784" {
		t.Errorf("inputs = %+v", in)
	}
}

func TestTruth(t *testing.T) {
	if Unknown.Bool() != nil || !*Yes.Bool() || *No.Bool() {
		t.Error("Bool")
	}
}
