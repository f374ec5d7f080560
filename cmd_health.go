package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

func cmdHealth(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "health", "[--addr HOST:PORT]", `
GET /healthz of a running server (for container health checks: the image has
no curl). Exit status 0 when it answers 2xx, 1 otherwise.`)
	addr := f.addrFlag("server address")
	timeout := f.Duration("timeout", 5*time.Second, "give up after this long")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	url, err := healthURL(*addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usagef("bad --addr %q: %v", *addr, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "unhealthy: %v\n", err)
		return &errReported{exitData}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		fmt.Fprintf(e.stderr, "unhealthy: %s: %s\n", resp.Status, strings.TrimSpace(string(body)))
		return &errReported{exitData}
	}
	fmt.Fprintf(e.stdout, "healthy: %s\n", strings.TrimSpace(string(body)))
	return nil
}

// healthURL turns a listen address into the URL of /healthz, dialing
// loopback for a wildcard host.
func healthURL(addr string) (string, error) {
	if strings.HasPrefix(addr, "http://") || strings.HasPrefix(addr, "https://") {
		return strings.TrimSuffix(addr, "/") + "/healthz", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usagef("bad --addr %q: %v", addr, err)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
