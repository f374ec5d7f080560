package loaders_test

import (
	"errors"
	"fmt"
	"testing/fstest"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/loaders"
)

// ExampleReadCurated reads two curated files and validates them: every
// mistake is reported with its file, line and field.
func ExampleReadCurated() {
	fsys := fstest.MapFS{
		"data/companies.yaml": {Data: []byte(`
sources:
  - key: hw-2024
    title: Ascend launch
    url: https://example.com/hw
    publisher: Huawei
    published: 2024-05-01
entities:
  - id: huawei
    kind: COMPANY
    name: Huawei
    sources: [hw-2024]
`)},
		"data/chips.yaml": {Data: []byte(`
entities:
  - id: ascend-910b
    kind: CHIP
    name: Ascend 910B
    attributes:
      - {name: fp16_tflops, value: 320, unit: TFLOPS, sources: [hw-2024]}
    sources: [hw-2024]
relations:
  - type: DESIGNS
    from: huawei
    to: ascend-910c
    status: confirmed
    sources: [hw-2024]
`)},
	}
	c, err := loaders.ReadCurated(fsys, "data")
	if err != nil {
		fmt.Println(err)
		return
	}
	a := c.Batch.Entities[0].Attributes[0]
	fmt.Println(c.Files, c.Batch.Relations[0].ID, a.Type, a.Value)

	err = c.Validate(nil) // nil: against an empty graph
	var list graph.Errors
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Println(e)
		}
	}
	// Output:
	// [data/chips.yaml data/companies.yaml] huawei--designs--ascend-910c number 320
	// data/chips.yaml:12: relations[0].to: unknown entity "ascend-910c"
}
