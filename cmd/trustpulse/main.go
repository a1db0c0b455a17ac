// Command trustpulse is the whole TrustPulse platform in one binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// The tz database inside the binary (~450 kB): schools' time zones (quiet hours, wave dates)
	// must resolve in a FROM scratch image or on a host without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/trustpulse/trustpulse/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}
