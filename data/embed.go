// Package data holds chipgraph's curated dataset: YAML files of sources,
// entities and relations written by hand, each fact cited, embedded into the
// binary so that a fresh store can be seeded without any file on disk.
//
// The format of the files is documented in package loaders (ReadCurated),
// which parses, validates and applies them:
//
//	c, err := loaders.ReadCurated(data.FS, ".")
//	...
//	res, err := c.Apply(ctx, store)
package data

import "embed"

// FS holds every *.yaml file of this directory, at its base name
// ("chips.yaml"), so error messages from loaders name the file as it sits in
// FS.
//
//go:embed *.yaml
var FS embed.FS
