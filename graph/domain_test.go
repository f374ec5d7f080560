package graph

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		bad  bool
	}{
		{"", Date{}, false},
		{"2024", Date{2024, 0, 0}, false},
		{"2024-05", Date{2024, 5, 0}, false},
		{"2024-02-29", Date{2024, 2, 29}, false},
		{"2023-02-29", Date{}, true},
		{"2024-13", Date{}, true},
		{"2024-5", Date{}, true},
		{"24", Date{}, true},
		{"2024/05/01", Date{}, true},
		{"2024-05-01T00:00:00Z", Date{}, true},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, bad=%v", tt.in, got, err, tt.want, tt.bad)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("ParseDate(%q).String() = %q", tt.in, got.String())
		}
	}
}

func TestValidAt(t *testing.T) {
	bounded := Relation{ValidFrom: MustDate("2019-05"), ValidTo: MustDate("2020")}
	open := Relation{ValidFrom: MustDate("2024-03-05")}
	firstReport := Relation{ValidFrom: MustDate("2023"), FirstReported: true}
	undated := Relation{}
	endOnly := Relation{ValidTo: MustDate("2020-09-14")}
	tests := []struct {
		name string
		r    Relation
		at   string
		want bool
	}{
		{"no date asked", bounded, "", true},
		{"no date asked, undated", undated, "", true},
		{"year overlaps May 2019 onwards", bounded, "2019", true},
		{"month before validFrom", bounded, "2019-04", false},
		{"last day of validFrom's month", bounded, "2019-05-31", true},
		{"last day of validTo's year", bounded, "2020-12-31", true},
		{"after validTo", bounded, "2021-01", false},
		{"open-ended, years later", open, "2030", true},
		{"open-ended, the month of its start", open, "2024-03", true},
		{"open-ended, the day before its start", open, "2024-03-04", false},
		{"first report counts from its date", firstReport, "2023-06", true},
		{"first report, before it", firstReport, "2022", false},
		{"no validFrom holds on no date", undated, "2025", false},
		{"no validFrom holds on no date, even before validTo", endOnly, "2019", false},
	}
	for _, tt := range tests {
		at, _ := ParseDate(tt.at)
		if got := tt.r.ValidAt(at); got != tt.want {
			t.Errorf("%s: ValidAt(%q) = %v, want %v", tt.name, tt.at, got, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := map[string]string{
		"SMIC":                 "smic",
		"Ｓ.Ｍ.Ｉ.Ｃ.":             "smic",
		"中芯国际":                 "中芯国际",
		"SK hynix Inc.":        "skhynixinc",
		"Co., Ltd. (Shanghai)": "coltdshanghai",
	}
	for in, want := range tests {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	err := error(Errorf(CodeConflict, "x", "taken"))
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		t.Errorf("errors.Is mismatched for %v", err)
	}
	internal := &Error{Code: CodeInternal, Msg: "cannot open store", Err: errors.New("secret dsn password=x")}
	if got := ErrorMessage(internal); got != "internal error" {
		t.Errorf("ErrorMessage leaks internal cause: %q", got)
	}
	list := Errors{Errorf(CodeInvalid, "a", "bad"), Errorf(CodeInvalid, "b", "worse")}
	if ErrorCode(list) != CodeInvalid || !errors.Is(list, ErrInvalid) {
		t.Errorf("Errors code = %v", ErrorCode(list))
	}
	if ErrorCode(errors.New("plain")) != CodeInternal {
		t.Error("a plain error should be internal")
	}
}

// TestErrorPrintsOp: an internal error, which reaches only operators, says
// which operation failed; what a client is shown never carries it.
func TestErrorPrintsOp(t *testing.T) {
	internal := &Error{Op: "store.Apply", Code: CodeInternal, Msg: "the bolt store rejected the write", Err: errors.New("disk full")}
	if got, want := internal.Error(), "store.Apply: the bolt store rejected the write: disk full"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := ErrorMessage(internal); strings.Contains(got, "store.Apply") {
		t.Errorf("ErrorMessage shows the operation to a client: %q", got)
	}
}
