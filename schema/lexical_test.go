package schema

import "testing"

func TestBlockStringValue(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"  block\n    string\n  ", "  block\nstring"},
		{"\n    a\n      b\n    ", "a\n  b"},
		{"x\r\n  y\r  z", "x\ny\nz"},
		{"\t\n \n", ""},
		{"one", "one"},
	} {
		if got := blockStringValue(tc.raw); got != tc.want {
			t.Errorf("blockStringValue(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestEscapeControls(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"{a(b: \"x\x07y\")}", `{a(b: "x\u0007y")}`},
		{"{a(b: \"x\ty\")}", "{a(b: \"x\ty\")}"},
		{"{a(b: \"\"\"x\x07y\"\"\")}", "{a(b: \"\"\"x\x07y\"\"\")}"}, // block strings have no escapes
		{"# \x07\n{a}", "# \x07\n{a}"},
	} {
		if got := escapeControls(tc.in); got != tc.want {
			t.Errorf("escapeControls(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoneSurrogate(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want int
	}{
		{`{a(b: "\uD83D\uDE00")}`, -1},
		{`{a(b: "\uD83D")}`, 7},
		{`{a(b: "x\uDE00")}`, 8},
		{`{a(b: """\uD83D""")}`, -1},
		{"# \\uD83D\n{a}", -1},
		{`{a(b: "\\uD83D")}`, -1},
	} {
		if got := loneSurrogate(tc.q); got != tc.want {
			t.Errorf("loneSurrogate(%q) = %d, want %d", tc.q, got, tc.want)
		}
	}
}
