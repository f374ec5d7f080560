package schema

import (
	"math"

	"github.com/graphql-go/graphql"

	"github.com/chipgraph/chipgraph/graph"
)

// The export-control view of chips: Chip.exportControl, computed by
// graph.AssessExportControl from the chip's cited specification attributes,
// and Query.chips, which lists chips by how they fare against a threshold.

// exportThreshold names a rule whose ECCN 3A090 parameters a chip is
// tested against.
type exportThreshold string

const (
	thresholdOct2022 exportThreshold = "OCT_2022"
	thresholdOct2023 exportThreshold = "OCT_2023"
)

// thresholdAnswer is how a chip fares against a threshold.
type thresholdAnswer string

const (
	answerExceeds thresholdAnswer = "EXCEEDS"
	answerBelow   thresholdAnswer = "BELOW"
	answerUnknown thresholdAnswer = "UNKNOWN"
)

func (s *Schema) buildExportControlTypes() {
	t := s.types
	enum := func(name, desc string, values graphql.EnumValueConfigMap) *graphql.Enum {
		e := graphql.NewEnum(graphql.EnumConfig{Name: name, Description: desc, Values: values})
		t.enums = append(t.enums, e)
		return e
	}
	t.exportThreshold = enum("ExportThreshold", "A rule whose ECCN 3A090 parameters a chip is tested against.", graphql.EnumValueConfigMap{
		string(thresholdOct2022): {Value: thresholdOct2022, Description: "BIS, 7 October 2022 (87 FR 62186): TPP of 4800 or more and a bidirectional chip-to-chip transfer rate of 600 GB/s or more."},
		string(thresholdOct2023): {Value: thresholdOct2023, Description: "BIS, 17 October 2023 (88 FR 73458): 3A090.a (TPP >= 4800, or TPP >= 1600 and performance density >= 5.92) or 3A090.b (TPP >= 2400 and < 4800 with density >= 1.6 and < 5.92, or TPP >= 1600 with density >= 3.2 and < 5.92)."},
	})
	t.thresholdAnswer = enum("ThresholdAnswer", "How a chip fares against a threshold.", graphql.EnumValueConfigMap{
		string(answerExceeds): {Value: answerExceeds, Description: "It meets the rule's parameters (the rule controls it)."},
		string(answerBelow):   {Value: answerBelow, Description: "Its cited specifications put it outside the rule's parameters."},
		string(answerUnknown): {Value: answerUnknown, Description: "The inputs the answer needs are missing."},
	})
	category := enum("Eccn3A090Category", "Where the October 2023 rule (88 FR 73458) places a chip.", graphql.EnumValueConfigMap{
		"ECCN_3A090_A":  {Value: graph.Category3A090a, Description: "3A090.a."},
		"ECCN_3A090_B":  {Value: graph.Category3A090b, Description: "3A090.b (eligible for License Exception NAC notification when designed or marketed for datacenters)."},
		"OUTSIDE_3A090": {Value: graph.CategoryNone, Description: "Neither: its parameters fall below 3A090.b."},
	})
	valueRange := graphql.NewObject(graphql.ObjectConfig{
		Name:        "ValueRange",
		Description: "What the sources allow a figure to be: one value when they agree, the span of the values when they are disputed.",
		Fields: graphql.Fields{
			"min": {Type: nn(graphql.Float), Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*graph.Range).Min, nil }},
			"max": {Type: graphql.Float, Description: "Null when unbounded above.", Resolve: func(p graphql.ResolveParams) (any, error) {
				if m := p.Source.(*graph.Range).Max; !math.IsInf(m, 1) {
					return m, nil
				}
				return nil, nil
			}},
		},
	})
	rangeOrNil := func(r *graph.Range) any {
		if r == nil {
			return nil
		}
		return r
	}
	src := func(f func(*graph.ExportControl) any) graphql.FieldResolveFn {
		return func(p graphql.ResolveParams) (any, error) { return f(p.Source.(*graph.ExportControl)), nil }
	}
	t.exportControl = graphql.NewObject(graphql.ObjectConfig{
		Name: "ExportControl",
		Description: "The chip's ECCN 3A090 assessment, computed from its cited specification attributes (never typed in): " +
			"TPP = dense TOPS at a bit length × that bit length (2 × MacTOPS × bit length), the largest over the precisions given; " +
			"performance density = TPP / applicable die area in mm². Null figures and answers mean the inputs are missing. " +
			"The assessment assumes a chip designed or marketed for datacenters (3A090's Note 2 exempts others below TPP 4800).",
		Fields: graphql.Fields{
			"tpp": {Type: graphql.Float, Description: "Total processing performance; null without a dense throughput figure.", Resolve: src(func(x *graph.ExportControl) any { return floatOrNil(x.TPP) })},
			"tppBitLength": {Type: graphql.Int, Description: "Bit length of the operation giving the TPP.", Resolve: src(func(x *graph.ExportControl) any {
				if x.TPP == nil {
					return nil
				}
				return x.TPPBits
			})},
			"tppRange":                   {Type: valueRange, Description: "Every TPP the inputs allow: disputed figures span a range, and 32- or 64-bit figures alone leave it open above.", Resolve: src(func(x *graph.ExportControl) any { return rangeOrNil(x.TPPRange) })},
			"tppIsLowerBound":            {Type: nn(graphql.Boolean), Description: "Only 32- or 64-bit throughput is known; accelerators reach their TPP at 16 bits or fewer, so the TPP may be higher.", Resolve: src(func(x *graph.ExportControl) any { return x.TPPLowerBound })},
			"applicableDieArea":          {Type: graphql.Float, Description: "Logic die area in mm²: die_area_mm2 × logic_die_count.", Resolve: src(func(x *graph.ExportControl) any { return floatOrNil(x.DieArea) })},
			"dieAreaIncomplete":          {Type: nn(graphql.Boolean), Description: "The package holds further logic dies whose area no source gives: the die area is a lower bound and the density an upper bound.", Resolve: src(func(x *graph.ExportControl) any { return x.Incomplete })},
			"performanceDensity":         {Type: graphql.Float, Description: "TPP / applicable die area; an upper bound when dieAreaIncomplete.", Resolve: src(func(x *graph.ExportControl) any { return floatOrNil(x.PerformanceDensity) })},
			"performanceDensityRange":    {Type: valueRange, Description: "Every density the inputs allow.", Resolve: src(func(x *graph.ExportControl) any { return rangeOrNil(x.PerformanceDensityRange) })},
			"interconnectBandwidthRange": {Type: valueRange, Resolve: src(func(x *graph.ExportControl) any { return rangeOrNil(x.InterconnectRange) })},
			"interconnectBandwidth": {Type: graphql.Float, Description: "Chip-to-chip bidirectional transfer rate, GB/s (attribute interconnect_bandwidth_gbps).", Resolve: src(func(x *graph.ExportControl) any {
				return floatOrNil(x.Interconnect)
			})},
			"exceedsOct2022":  {Type: graphql.Boolean, Description: "Controlled under 3A090 of the October 2022 rule; null when the inputs are missing or their disputed values disagree on it.", Resolve: src(func(x *graph.ExportControl) any { return boolOrNil(x.Oct2022) })},
			"exceedsOct2023":  {Type: graphql.Boolean, Description: "Controlled under 3A090.a or .b of the October 2023 rule; null when unknown.", Resolve: src(func(x *graph.ExportControl) any { return boolOrNil(x.Oct2023) })},
			"oct2023Category": {Type: category, Description: "Which paragraph of the October 2023 3A090 applies; null when unknown.", Resolve: src(func(x *graph.ExportControl) any { return strOrNil(x.Category) })},
			"inputs":          {Type: listOf(t.attribute), Description: "The attributes used, with their sources: throughputs, die area, interconnect (every disputed value when no undisputed one exists).", Resolve: src(func(x *graph.ExportControl) any { return nonNil(x.Inputs()) })},
			"missing":         {Type: listOf(graphql.String), Description: "Inputs no attribute gives: dense throughput, die area, interconnect bandwidth.", Resolve: src(func(x *graph.ExportControl) any { return nonNil(x.Missing) })},
		},
	})
}

// exportControlField is Chip.exportControl.
func (s *Schema) exportControlField() *graphql.Field {
	return &graphql.Field{
		Type:        nn(s.types.exportControl),
		Description: "The chip's ECCN 3A090 assessment (TPP, performance density, the October 2022 and 2023 thresholds), computed from its cited attributes.",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			x := graph.AssessExportControl(p.Source.(*graph.Entity))
			return &x, nil
		},
	}
}

// chipsField is Query.chips.
func (s *Schema) chipsField() *graphql.Field {
	t := s.types
	return &graphql.Field{
		Type:        nn(t.entityConn),
		Description: "Chips sorted by id; with threshold, only those whose answer against it is answer (by default, those the rule controls).",
		Args: graphql.FieldConfigArgument{
			"threshold": {Type: t.exportThreshold},
			"answer":    {Type: t.thresholdAnswer, DefaultValue: answerExceeds, Description: "Used with threshold."},
			"first":     {Type: graphql.Int, DefaultValue: 50},
			"after":     {Type: graphql.String},
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			first, err := bounded(p, "first", 50, 0, s.cfg.MaxPageSize)
			if err != nil {
				return nil, err
			}
			chips, err := s.store.Entities(p.Context, graph.EntityFilter{Kinds: []graph.Kind{graph.KindChip}})
			if err != nil {
				return nil, err
			}
			if th, ok := p.Args["threshold"].(exportThreshold); ok {
				want, _ := p.Args["answer"].(thresholdAnswer)
				if want == "" {
					want = answerExceeds
				}
				kept := make([]*graph.Entity, 0, len(chips))
				for _, e := range chips {
					if err := p.Context.Err(); err != nil {
						return nil, err
					}
					if answerFor(graph.AssessExportControl(e), th) == want {
						kept = append(kept, e)
					}
				}
				chips = kept
			}
			return paginate(chips, entityID, first, argString(p, "after"))
		},
	}
}

func answerFor(x graph.ExportControl, th exportThreshold) thresholdAnswer {
	v := x.Oct2022
	if th == thresholdOct2023 {
		v = x.Oct2023
	}
	switch v {
	case graph.Yes:
		return answerExceeds
	case graph.No:
		return answerBelow
	}
	return answerUnknown
}

func floatOrNil(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func boolOrNil(t graph.Truth) any {
	if b := t.Bool(); b != nil {
		return *b
	}
	return nil
}
