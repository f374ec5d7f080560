package graph

import (
	"math"
	"strconv"
)

// Chip specification attributes. Each is a number attribute of a CHIP
// entity, in the unit its name ends with; the README's data section
// documents them. Throughputs are dense (without structured sparsity): a
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

func truth(b bool) Truth {
	if b {
		return Yes
	}
	return No
}

// And is Kleene conjunction: No wins over Unknown.
func (t Truth) And(u Truth) Truth {
	switch {
	case t == No || u == No:
		return No
	case t == Yes && u == Yes:
		return Yes
	}
	return Unknown
}

// Or is Kleene disjunction: Yes wins over Unknown.
func (t Truth) Or(u Truth) Truth {
	switch {
	case t == Yes || u == Yes:
		return Yes
	case t == No && u == No:
		return No
	}
	return Unknown
}

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

// ExportControl is a chip's ECCN 3A090 assessment, computed from its cited
// specification attributes. A nil figure or an Unknown answer means the
// inputs it needs are missing.
type ExportControl struct {
	// TPP is the total processing performance: dense TOPS (or TFLOPS) at a
	// bit length times that bit length, the largest over the precisions
	// given (TPP = 2 × MacTOPS × bit length, aggregated over the chip: a
	// dense TOPS figure counts a multiply-accumulate as two operations).
	TPP        *float64
	TPPBits    int        // bit length of the operation giving TPP
	TPPInput   *Attribute // the throughput attribute giving TPP
	DieArea    *float64   // applicable die area, mm²
	DieInputs  []Attribute
	Incomplete bool // the package holds further logic dies of unknown area: DieArea is a lower bound
	// PerformanceDensity is TPP / applicable die area; an upper bound when
	// Incomplete.
	PerformanceDensity *float64
	Interconnect       *float64 // chip-to-chip bidirectional GB/s
	InterconnectInput  *Attribute
	Oct2022            Truth  // controlled under 3A090 of the October 2022 rule
	Oct2023            Truth  // controlled under 3A090 (.a or .b) of the October 2023 rule
	Category           string // Category3A090a, Category3A090b, CategoryNone, or "" when unknown
	Missing            []string
}

// Inputs returns the attributes the assessment used, TPP first.
func (x *ExportControl) Inputs() []Attribute {
	var out []Attribute
	if x.TPPInput != nil {
		out = append(out, *x.TPPInput)
	}
	out = append(out, x.DieInputs...)
	if x.InterconnectInput != nil {
		out = append(out, *x.InterconnectInput)
	}
	return out
}

// AssessExportControl computes e's ECCN 3A090 assessment from its
// attributes. It never fails: unusable inputs (not a positive finite
// number) count as missing.
func AssessExportControl(e *Entity) ExportControl {
	var x ExportControl
	for _, p := range TPPPrecisions {
		a, v, ok := numberAttr(e, p.Attr)
		if !ok {
			continue
		}
		tpp := v * float64(p.Bits)
		if !finite(tpp) {
			continue
		}
		if x.TPP == nil || tpp > *x.TPP {
			x.TPP, x.TPPBits, x.TPPInput = &tpp, p.Bits, &a
		}
	}
	if x.TPP == nil {
		x.Missing = append(x.Missing, "dense throughput")
	}

	if a, area, ok := numberAttr(e, SpecDieArea); ok {
		x.DieInputs = append(x.DieInputs, a)
		if c, n, ok := numberAttr(e, SpecLogicDieCount); ok {
			x.DieInputs = append(x.DieInputs, c)
			area *= n
		}
		if c, ok := e.Attr(SpecDieAreaIncomplete); ok && c.Type == AttrBool && c.Value == "true" {
			x.DieInputs = append(x.DieInputs, c)
			x.Incomplete = true
		}
		if finite(area) {
			x.DieArea = &area
		}
	}
	if x.DieArea == nil {
		x.DieInputs = nil
		x.Missing = append(x.Missing, "die area")
	}
	if x.TPP != nil && x.DieArea != nil {
		if pd := *x.TPP / *x.DieArea; finite(pd) {
			x.PerformanceDensity = &pd
		}
	}

	if a, v, ok := numberAttr(e, SpecInterconnect); ok {
		x.Interconnect, x.InterconnectInput = &v, &a
	} else {
		x.Missing = append(x.Missing, "interconnect bandwidth")
	}

	tppAtLeast := func(t float64) Truth {
		if x.TPP == nil {
			return Unknown
		}
		return truth(*x.TPP >= t)
	}
	// pdAtLeast is exact for a complete die area; for an incomplete one the
	// density is only bounded above, so it can rule a threshold out but
	// never in.
	pdAtLeast := func(t float64) Truth {
		switch {
		case x.PerformanceDensity == nil:
			return Unknown
		case *x.PerformanceDensity < t:
			return No
		case x.Incomplete:
			return Unknown
		}
		return Yes
	}
	not := func(t Truth) Truth {
		switch t {
		case Yes:
			return No
		case No:
			return Yes
		}
		return Unknown
	}
	interconnect := Unknown
	if x.Interconnect != nil {
		interconnect = truth(*x.Interconnect >= Oct2022Interconnect)
	}
	x.Oct2022 = tppAtLeast(Oct2022TPP).And(interconnect)

	a := tppAtLeast(Oct2023TPPHigh).Or(tppAtLeast(Oct2023TPPLow).And(pdAtLeast(Oct2023PDHigh)))
	belowHigh := not(pdAtLeast(Oct2023PDHigh))
	b1 := tppAtLeast(Oct2023TPPMid).And(not(tppAtLeast(Oct2023TPPHigh))).And(pdAtLeast(Oct2023PDLow)).And(belowHigh)
	b2 := tppAtLeast(Oct2023TPPLow).And(pdAtLeast(Oct2023PDMid)).And(belowHigh)
	b := b1.Or(b2)
	x.Oct2023 = a.Or(b)
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

// numberAttr returns e's attribute name (the undisputed one when sources
// disagree) and its value when that is a positive finite number.
func numberAttr(e *Entity, name string) (Attribute, float64, bool) {
	a, ok := e.Attr(name)
	if !ok || a.Type != AttrNumber {
		return Attribute{}, 0, false
	}
	v, err := strconv.ParseFloat(a.Value, 64)
	if err != nil || !finite(v) || v <= 0 {
		return Attribute{}, 0, false
	}
	return a, v, true
}

func finite(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }
