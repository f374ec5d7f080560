package graph

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Date is a calendar date as precise as its source gives it: a year, a year
// and month, or a full day. Month and Day are 0 when unknown. The zero Date
// means "no date".
type Date struct {
	Year, Month, Day int
}

// ParseDate parses "YYYY", "YYYY-MM" or "YYYY-MM-DD". The empty string gives
// the zero Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	bad := fmt.Errorf("bad date %q: want YYYY, YYYY-MM or YYYY-MM-DD", s)
	var d Date
	switch len(s) {
	case 4, 7, 10:
	default:
		return Date{}, bad
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 1 {
		return Date{}, bad
	}
	d.Year = y
	if len(s) >= 7 {
		if s[4] != '-' {
			return Date{}, bad
		}
		m, err := strconv.Atoi(s[5:7])
		if err != nil || m < 1 || m > 12 {
			return Date{}, bad
		}
		d.Month = m
	}
	if len(s) == 10 {
		if s[7] != '-' {
			return Date{}, bad
		}
		day, err := strconv.Atoi(s[8:10])
		if err != nil || day < 1 || day > daysIn(d.Year, d.Month) {
			return Date{}, bad
		}
		d.Day = day
	}
	return d, nil
}

// MustDate is ParseDate for constants; it panics on a bad date.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d.Year == 0 }

// String formats d at its own precision.
func (d Date) String() string {
	switch {
	case d.Year == 0:
		return ""
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// First is the first day d covers, as a sortable yyyymmdd number.
func (d Date) First() int {
	m, day := d.Month, d.Day
	if m == 0 {
		m = 1
	}
	if day == 0 {
		day = 1
	}
	return d.Year*10000 + m*100 + day
}

// Last is the last day d covers, as a sortable yyyymmdd number.
func (d Date) Last() int {
	m, day := d.Month, d.Day
	if m == 0 {
		m = 12
	}
	if day == 0 {
		day = daysIn(d.Year, m)
	}
	return d.Year*10000 + m*100 + day
}

func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

var _ json.Marshaler = Date{}

func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }
