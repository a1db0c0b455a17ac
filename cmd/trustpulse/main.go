// Command trustpulse is the whole TrustPulse platform in one binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/trustpulse/trustpulse/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}
