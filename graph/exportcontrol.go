package graph

import (
	"math"
	"strconv"
)

// Chip specification attributes of CHIP entities, numbers in the unit
// their name ends with (SpecUnits) but for memory_type (a string) and
// die_area_incomplete (a bool); the README's data section documents them. Throughputs are dense (without structured sparsity): a
// figure a source gives only with sparsity goes in the _sparse_ attribute
// and counts for nothing below.
const (
	SpecFP64Dense         = "fp64_dense_tflops"
	SpecFP32Dense         = "fp32_dense_tflops"
	SpecFP16Dense         = "fp16_dense_tflops"
	SpecBF16Dense         = "bf16_dense_tflops"
	SpecFP8Dense          = "fp8_dense_tflops"
	SpecINT8Dense         = "int8_dense_tops"
	SpecFP4Dense          = "fp4_dense_tflops"
	SpecINT4Dense         = "int4_dense_tops"
	SpecDieArea           = "die_area_mm2"                // one logic die
	SpecLogicDieCount     = "logic_die_count"             // dies of die_area_mm2 in the package; absent means one
	SpecDieAreaIncomplete = "die_area_incomplete"         // bool: the package holds further logic dies of unknown area
	SpecInterconnect      = "interconnect_bandwidth_gbps" // chip-to-chip, bidirectional, GB/s
	SpecMemoryBandwidth   = "memory_bandwidth_gbps"
	SpecMemoryCapacity    = "memory_capacity_gb"
	SpecMemoryType        = "memory_type"
	SpecTDP               = "tdp_w"
	SpecFP16Sparse        = "fp16_sparse_tflops"
	SpecINT8Sparse        = "int8_sparse_tops"
	SpecFP8Sparse         = "fp8_sparse_tflops"
	SpecBF16Sparse        = "bf16_sparse_tflops"
)

// SpecUnits gives the unit of each numeric specification attribute (the
// data tests hold the curated data to it). memory_type is a string and
// die_area_incomplete a bool.
var SpecUnits = map[string]string{
	SpecFP64Dense: "TFLOPS", SpecFP32Dense: "TFLOPS", SpecFP16Dense: "TFLOPS", SpecBF16Dense: "TFLOPS",
	SpecFP8Dense: "TFLOPS", SpecINT8Dense: "TOPS", SpecFP4Dense: "TFLOPS", SpecINT4Dense: "TOPS",
	SpecFP16Sparse: "TFLOPS", SpecBF16Sparse: "TFLOPS", SpecFP8Sparse: "TFLOPS", SpecINT8Sparse: "TOPS",
	SpecDieArea: "mm2", SpecLogicDieCount: "dies", SpecInterconnect: "GB/s",
	SpecMemoryBandwidth: "GB/s", SpecMemoryCapacity: "GB", SpecTDP: "W",
}

// TPPPrecisions are the dense throughput attributes that count towards
// TPP, with the bit length of their operation.
var TPPPrecisions = []struct {
	Attr string
	Bits int
}{
	{SpecFP64Dense, 64}, {SpecFP32Dense, 32}, {SpecFP16Dense, 16}, {SpecBF16Dense, 16},
	{SpecFP8Dense, 8}, {SpecINT8Dense, 8}, {SpecFP4Dense, 4}, {SpecINT4Dense, 4},
}

// Truth is a three-valued answer: a threshold test whose inputs are
// missing is Unknown, never guessed.
type Truth int8

const (
	Unknown Truth = iota
	No
	Yes
)

// Bool returns the answer as a *bool, nil when Unknown.
func (t Truth) Bool() *bool {
	if t == Unknown {
		return nil
	}
	b := t == Yes
	return &b
}

// ECCN 3A090 thresholds. Sources: the October 2022 interim final rule
// (87 FR 62186, 3A090.a: bit length × TOPS of 4800 or more AND an
// aggregate bidirectional transfer rate of 600 Gbyte/s or more to
// integrated circuits other than volatile memories) and the October 2023
// AC/S interim final rule (88 FR 73458), which dropped the transfer rate
// and controls under 3A090.a: TPP >= 4800, or TPP >= 1600 and performance
// density >= 5.92; under 3A090.b: TPP >= 2400 and < 4800 with density
// >= 1.6 and < 5.92, or TPP >= 1600 with density >= 3.2 and < 5.92.
const (
	Oct2022TPP          = 4800.0
	Oct2022Interconnect = 600.0 // GB/s, bidirectional
	Oct2023TPPHigh      = 4800.0
	Oct2023TPPLow       = 1600.0
	Oct2023TPPMid       = 2400.0
	Oct2023PDHigh       = 5.92
	Oct2023PDMid        = 3.2
	Oct2023PDLow        = 1.6
)

// ECCN categories of the October 2023 rule.
const (
	Category3A090a = "3A090.a"
	Category3A090b = "3A090.b"
	CategoryNone   = "none" // neither: outside 3A090 by its parameters
)

// Range is what the sources allow a figure to be: a single value when
// they agree, the span of the values when they are disputed, and open
// above (Max +Inf) or below (Min 0) when an input bounds it only on one
// side.
type Range struct{ Min, Max float64 }

// ExportControl is a chip's ECCN 3A090 assessment, computed from its cited
// specification attributes. A nil figure or an Unknown answer means the
// inputs it needs are missing or that disputed inputs disagree on it.
type ExportControl struct {
	// TPP is the total processing performance: dense TOPS (or TFLOPS) at a
	// bit length times that bit length, the largest over the precisions
	// given (TPP = 2 × MacTOPS × bit length, aggregated over the chip: a
	// dense TOPS figure counts a multiply-accumulate as two operations).
	// The point value uses each input's preferred (undisputed) attribute;
	// TPPRange spans every value the inputs allow.
	TPP      *float64
	TPPRange *Range
	TPPBits  int // bit length of the operation giving TPP
	// TPPLowerBound: only 32- or 64-bit figures are known. AI accelerators
	// reach their TPP at 16 bits or fewer, so those figures bound it only
	// from below.
	TPPLowerBound bool
	DieArea       *float64 // applicable die area, mm²: die_area_mm2 × logic_die_count
	DieAreaRange  *Range
	// Incomplete: the package holds further logic dies of unknown area, so
	// the die area is a lower bound and the density an upper bound.
	Incomplete              bool
	PerformanceDensity      *float64 // TPP / applicable die area
	PerformanceDensityRange *Range
	Interconnect            *float64 // chip-to-chip bidirectional GB/s
	InterconnectRange       *Range
	Oct2022                 Truth  // controlled under 3A090 of the October 2022 rule
	Oct2023                 Truth  // controlled under 3A090 (.a or .b) of the October 2023 rule
	Category                string // Category3A090a, Category3A090b, CategoryNone, or "" when unknown
	Missing                 []string
	inputs                  []Attribute
}

// Inputs returns the attributes the assessment used, throughputs first.
func (x *ExportControl) Inputs() []Attribute { return x.inputs }

// AssessExportControl computes e's ECCN 3A090 assessment from its
// attributes. It never fails: unusable inputs (not a positive finite
// number) count as missing.
func AssessExportControl(e *Entity) ExportControl {
	var x ExportControl
	var tpp Range
	small := false // a figure at 16 bits or fewer
	for _, p := range TPPPrecisions {
		in, ok := numberInput(e, p.Attr)
		if !ok {
			continue
		}
		bits := float64(p.Bits)
		point, lo, hi := in.point*bits, in.lo*bits, in.hi*bits
		if !finite(hi) {
			continue
		}
		x.inputs = append(x.inputs, in.attrs...)
		small = small || p.Bits <= 16
		if x.TPP == nil || point > *x.TPP {
			x.TPP, x.TPPBits = &point, p.Bits
		}
		tpp.Min, tpp.Max = math.Max(tpp.Min, lo), math.Max(tpp.Max, hi)
	}
	if x.TPP == nil {
		x.Missing = append(x.Missing, "dense throughput")
	} else {
		x.TPPLowerBound = !small
		if x.TPPLowerBound {
			tpp.Max = math.Inf(1)
		}
		x.TPPRange = &tpp
	}

	if in, ok := numberInput(e, SpecDieArea); ok {
		area := Range{in.lo, in.hi}
		point := in.point
		dieInputs := in.attrs
		if c, ok := numberInput(e, SpecLogicDieCount); ok {
			area = Range{area.Min * c.lo, area.Max * c.hi}
			point *= c.point
			dieInputs = append(dieInputs, c.attrs...)
		}
		if c, ok := e.Attr(SpecDieAreaIncomplete); ok && c.Type == AttrBool && c.Value == "true" {
			x.Incomplete = true
			area.Max = math.Inf(1)
			dieInputs = append(dieInputs, c)
		}
		if finite(point) && finite(area.Min) && area.Min > 0 {
			x.DieArea, x.DieAreaRange = &point, &area
			x.inputs = append(x.inputs, dieInputs...)
		}
	}
	if x.DieArea == nil {
		x.Missing = append(x.Missing, "die area")
	}
	if x.TPP != nil && x.DieArea != nil {
		pd := *x.TPP / *x.DieArea
		r := Range{x.TPPRange.Min / x.DieAreaRange.Max, x.TPPRange.Max / x.DieAreaRange.Min}
		if finite(pd) {
			x.PerformanceDensity, x.PerformanceDensityRange = &pd, &r
		}
	}

	if in, ok := numberInput(e, SpecInterconnect); ok {
		x.Interconnect, x.InterconnectRange = &in.point, &Range{in.lo, in.hi}
		x.inputs = append(x.inputs, in.attrs...)
	} else {
		x.Missing = append(x.Missing, "interconnect bandwidth")
	}

	// Each rule is a fixed predicate of TPP, density and link speed,
	// constant between its thresholds. Testing it at the lower end of each
	// input's range and at every threshold inside the range covers every
	// case the range allows: the answer is Yes or No when they all agree.
	// A missing input ranges over everything. (TPP and density are taken
	// as independent, which can leave Unknown where their link would
	// decide, never a wrong answer.)
	tppPts := points(x.TPPRange, Oct2023TPPLow, Oct2023TPPMid, Oct2023TPPHigh)
	pdPts := points(x.PerformanceDensityRange, Oct2023PDLow, Oct2023PDMid, Oct2023PDHigh)
	linkPts := points(x.InterconnectRange, Oct2022Interconnect)
	x.Oct2022 = forAll(tppPts, linkPts, func(tpp, link float64) bool {
		return tpp >= Oct2022TPP && link >= Oct2022Interconnect
	})
	x.Oct2023 = forAll(tppPts, pdPts, func(tpp, pd float64) bool { return oct2023a(tpp, pd) || oct2023b(tpp, pd) })
	a := forAll(tppPts, pdPts, oct2023a)
	b := forAll(tppPts, pdPts, oct2023b)
	switch {
	case a == Yes:
		x.Category = Category3A090a
	case a == No && b == Yes:
		x.Category = Category3A090b
	case a == No && b == No:
		x.Category = CategoryNone
	}
	return x
}

// oct2023a is 3A090.a of 88 FR 73458.
func oct2023a(tpp, pd float64) bool {
	return tpp >= Oct2023TPPHigh || (tpp >= Oct2023TPPLow && pd >= Oct2023PDHigh)
}

// oct2023b is 3A090.b of 88 FR 73458.
func oct2023b(tpp, pd float64) bool {
	return (tpp >= Oct2023TPPMid && tpp < Oct2023TPPHigh && pd >= Oct2023PDLow && pd < Oct2023PDHigh) ||
		(tpp >= Oct2023TPPLow && pd >= Oct2023PDMid && pd < Oct2023PDHigh)
}

// points returns a value from each piece, between the thresholds, that r
// reaches; a nil r (unknown) reaches them all.
func points(r *Range, thresholds ...float64) []float64 {
	lo, hi := 0.0, math.Inf(1)
	if r != nil {
		lo, hi = r.Min, r.Max
	}
	out := []float64{lo}
	for _, t := range thresholds {
		if t > lo && t <= hi {
			out = append(out, t)
		}
	}
	return out
}

// forAll is Yes when pred holds at every pair of points, No when at none,
// Unknown otherwise.
func forAll(xs, ys []float64, pred func(x, y float64) bool) Truth {
	seen := map[bool]bool{}
	for _, x := range xs {
		for _, y := range ys {
			seen[pred(x, y)] = true
		}
	}
	switch {
	case seen[true] && !seen[false]:
		return Yes
	case seen[false] && !seen[true]:
		return No
	}
	return Unknown
}

// input is what e's attributes of one name say: the preferred value (the
// first undisputed one, as Entity.Attr picks), and the span of the values
// that count: the undisputed ones, or, when all are disputed, all of them.
type input struct {
	point, lo, hi float64
	attrs         []Attribute
}

func numberInput(e *Entity, name string) (input, bool) {
	pref, ok := e.Attr(name)
	if !ok {
		return input{}, false
	}
	point, ok := positive(pref)
	if !ok {
		return input{}, false
	}
	in := input{point: point, lo: point, hi: point}
	for _, a := range e.Attributes {
		if a.Name != name || (pref.Status != StatusDisputed && a.Status == StatusDisputed) {
			continue
		}
		v, ok := positive(a)
		if !ok {
			continue
		}
		in.lo, in.hi = math.Min(in.lo, v), math.Max(in.hi, v)
		in.attrs = append(in.attrs, a)
	}
	return in, true
}

// positive returns a's value when it is a positive finite number.
func positive(a Attribute) (float64, bool) {
	if a.Type != AttrNumber {
		return 0, false
	}
	v, err := strconv.ParseFloat(a.Value, 64)
	if err != nil || !finite(v) || v <= 0 {
		return 0, false
	}
	return v, true
}

func finite(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }
