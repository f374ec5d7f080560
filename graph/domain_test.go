package graph

import (
	"errors"
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
	r := Relation{ValidFrom: MustDate("2019-05"), ValidTo: MustDate("2020")}
	tests := []struct {
		at   string
		want bool
	}{
		{"", true},
		{"2019", true}, // the year overlaps May 2019 onwards
		{"2019-04", false},
		{"2019-05-31", true},
		{"2020-12-31", true},
		{"2021-01", false},
	}
	for _, tt := range tests {
		at, _ := ParseDate(tt.at)
		if got := r.ValidAt(at); got != tt.want {
			t.Errorf("ValidAt(%q) = %v, want %v", tt.at, got, tt.want)
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
