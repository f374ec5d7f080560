package graph

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error. It is the project's one error vocabulary: the
// server maps each code to an HTTP status and a GraphQL extensions.code in one
// place, and the CLI maps it to an exit status.
type Code string

const (
	CodeNotFound     Code = "NOT_FOUND"
	CodeInvalid      Code = "INVALID"
	CodeConflict     Code = "CONFLICT"
	CodeUnauthorized Code = "UNAUTHORIZED"
	CodeInternal     Code = "INTERNAL"
)

// Sentinel errors, one per code. errors.Is(err, ErrNotFound) holds for any
// *Error whose Code is CodeNotFound.
var (
	ErrNotFound     = errors.New("graph: not found")
	ErrInvalid      = errors.New("graph: invalid")
	ErrConflict     = errors.New("graph: conflict")
	ErrUnauthorized = errors.New("graph: unauthorized")
	ErrInternal     = errors.New("graph: internal error")
)

var sentinels = map[Code]error{
	CodeNotFound:     ErrNotFound,
	CodeInvalid:      ErrInvalid,
	CodeConflict:     ErrConflict,
	CodeUnauthorized: ErrUnauthorized,
	CodeInternal:     ErrInternal,
}

// Error is the error type returned by this package and its adapters.
//
// Path names the offending item or field ("entities[3].kind",
// "data/chips.yaml:12: relations[4].to"); Msg is a human-readable message
// safe to show to clients (for CodeInternal it is generic and the cause
// lives only in Err). Op names the operation that failed ("store.Apply",
// "graph.Open") and is set on internal errors only: those reach operators
// (logs, the CLI's internal-error line), never clients, and Error prints
// Op first so a log line says where the failure came from. An error a user
// can act on names a file, line or field in Path instead.
type Error struct {
	Op   string
	Code Code
	Path string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" && e.Code == CodeInternal {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Msg != "" {
		b.WriteString(e.Msg)
	} else {
		b.WriteString(strings.ToLower(strings.ReplaceAll(string(e.Code), "_", " ")))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel for e's code.
func (e *Error) Is(target error) bool { return sentinels[e.Code] == target }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, path, format string, args ...any) *Error {
	return &Error{Code: code, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: the Code of the first *Error in its chain,
// the code of a matching sentinel, CodeInvalid for Errors, or CodeInternal.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var list Errors
	if errors.As(err, &list) {
		return CodeInvalid
	}
	for code, s := range sentinels {
		if errors.Is(err, s) {
			return code
		}
	}
	return CodeInternal
}

// ErrorMessage returns the message of err that is safe to show a client:
// internal causes are never included.
func ErrorMessage(err error) string {
	var e *Error
	if ErrorCode(err) == CodeInternal {
		return "internal error"
	}
	if errors.As(err, &e) {
		e2 := *e
		e2.Err, e2.Op = nil, ""
		return e2.Error()
	}
	return err.Error()
}

// Errors is a list of validation errors, all found in one pass, so a user
// fixes every mistake in one round. Its code is CodeInvalid.
type Errors []*Error

func (l Errors) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d errors:", len(l))
	for _, e := range l {
		b.WriteString("\n\t")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Is makes errors.Is(list, ErrInvalid) true.
func (l Errors) Is(target error) bool { return target == ErrInvalid }

// Err returns nil for an empty list and the list otherwise.
func (l Errors) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
