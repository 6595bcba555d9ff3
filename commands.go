package main

import (
	"context"
	"errors"
	"io"
)

func runConformance(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("conformance: not built yet")
}

func runBenchServer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("bench-server: not built yet")
}

func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("loadgen: not built yet")
}
