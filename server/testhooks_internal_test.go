package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// WithTestRoute adds a GET route serving h to s, behind all of s's
// middleware, and returns s's handler: tests use it to reach states no
// real route reaches on demand (a panic mid-answer).
func WithTestRoute(s *Server, path string, h func(http.ResponseWriter)) http.Handler {
	s.echo.GET(path, func(c echo.Context) error {
		h(c.Response())
		return nil
	})
	return s.echo
}
