package schema_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/schema"
	"github.com/chipgraph/chipgraph/schema/schematest"
)

// TestSpecification checks what the October 2021 specification (with
// graphql-js 16 as the reference where it leaves a choice) says of
// requests graphql-go's parser, validator and executor got wrong.
func TestSpecification(t *testing.T) {
	s := newSchema(t, schematest.Open(t), schema.Config{})
	tests := []struct {
		name, query string
		vars        string // JSON
		code        string // the first error's code; "" for none
		data        string // the data, byte for byte; "" to skip
	}{
		{"null literal", `{relations(asOf: null, first: 1){totalCount}}`, ``, "", `{"relations":{"totalCount":13}}`},
		{"null for a non-null argument", `{entity(id:"smic"){id} search(text: null){id}}`, ``, schema.CodeValidationFailed, ""},
		{"Int literal above 2^31-1", `{entities(first: 2147483648){totalCount}}`, ``, schema.CodeValidationFailed, ""},
		{"Int variable as a string", `query($n: Int){entities(first:$n){totalCount}}`, `{"n":"2"}`, schema.CodeBadUserInput, ""},
		{"Int variable with a fraction", `query($n: Int){entities(first:$n){totalCount}}`, `{"n":1.5}`, schema.CodeBadUserInput, ""},
		{"Int variable as a boolean", `query($n: Int){entities(first:$n){totalCount}}`, `{"n":true}`, schema.CodeBadUserInput, ""},
		{"Int variable above 2^31-1", `query($n: Int){entities(first:$n){totalCount}}`, `{"n":2147483648}`, schema.CodeBadUserInput, ""},
		{"String variable as a number", `query($s: String!){search(text:$s){id}}`, `{"s":123}`, schema.CodeBadUserInput, ""},
		{"String variable as an object", `query($s: String!){search(text:$s){id}}`, `{"s":{"a":1}}`, schema.CodeBadUserInput, ""},
		{"enum variable in another case", `query($k: EntityKind){entities(kind:$k){totalCount}}`, `{"k":"company"}`, schema.CodeBadUserInput, ""},
		{"repeated non-repeatable directive", `{stats{entities @include(if:true) @include(if:true)}}`, ``, schema.CodeValidationFailed, ""},
		{"type definition in an executable document", `{stats{entities}} type T { a: Int }`, ``, schema.CodeParseFailed, ""},
		{"explicit null for a defaulted variable", `query($f: Int = 2){entities(first:$f){pageInfo{hasNextPage}}}`, `{"f":null}`, "", `{"entities":{"pageInfo":{"hasNextPage":false}}}`},
		{"absent defaulted variable", `query($f: Int = 2){entities(first:$f){pageInfo{hasNextPage}}}`, ``, "", `{"entities":{"pageInfo":{"hasNextPage":true}}}`},
		{"non-null variable with a default", `query($f: Int! = 2){entities(first:$f){nodes{id}}}`, ``, "", `{"entities":{"nodes":[{"id":"ascend-910c"},{"id":"big-fund"}]}}`},
		{"surrogate pair", `{entity(name: "\uD83D\uDE00"){id} stats{entities}}`, ``, "", `{"entity":null,"stats":{"entities":14}}`},
		{"lone surrogate", `{entity(name: "\uD83D"){id}}`, ``, schema.CodeParseFailed, ""},
		{"lone trailing surrogate", `{entity(name: "a\uDE00"){id}}`, ``, schema.CodeParseFailed, ""},
		{"surrogate escapes in a comment and a block string", "{entity(name: \"\"\"\\uD83D\"\"\"){id} # \\uD83D\n}", ``, "", `{"entity":null}`},
		{"key order with an error", `{stats{sources entities} b: entity(name:"x", id:"y"){id} a: entity(id:"smic"){name id}}`, ``, schema.CodeBadUserInput, `{"stats":{"sources":3,"entities":14},"b":null,"a":{"name":"Semiconductor Manufacturing International Corporation","id":"smic"}}`},
		{"key order in introspection", `{__type(name:"Stats"){name kind} __typename}`, ``, "", `{"__type":{"name":"Stats","kind":"OBJECT"},"__typename":"Query"}`},
		{"current introspection fields", `{__schema{description directives{name isRepeatable args(includeDeprecated:true){name isDeprecated}}} __type(name:"Date"){specifiedByURL isOneOf}}`, ``, "", ""},
		{"bad Date literal", `{relations(asOf:"2022-13"){totalCount}}`, ``, schema.CodeValidationFailed, ""},
		{"bad Date literal in a list", `{relations(asOf:["2022-13"]){totalCount}}`, ``, schema.CodeValidationFailed, ""},
		{"bad Date default", `query($d: Date = "2022-13"){relations(asOf:$d){totalCount}}`, ``, schema.CodeValidationFailed, ""},
		{"defer is not a directive here", `{stats{... @defer {entities}}}`, ``, schema.CodeValidationFailed, ""},
		{"fragment variables", `{stats{...F}} fragment F($a: Int) on Stats{entities}`, ``, schema.CodeParseFailed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var vars map[string]any
			if tc.vars != "" {
				if err := json.Unmarshal([]byte(tc.vars), &vars); err != nil {
					t.Fatal(err)
				}
			}
			res := s.Execute(t.Context(), schema.Request{Query: tc.query, Variables: vars})
			if res.Code() != tc.code {
				t.Fatalf("code %q, want %q: %+v", res.Code(), tc.code, res.Errors)
			}
			if tc.data != "" && !strings.HasPrefix(string(res.Data), tc.data) {
				t.Errorf("data\n%s\nwant\n%s", res.Data, tc.data)
			}
		})
	}
}
