package cli

// PENDING: each owner deletes its line here when it adds the real command in its own file.

import (
	"context"
	"errors"
)

func runSurvey(context.Context, *Env, []string) error  { return errors.New("pending") }
func runRoster(context.Context, *Env, []string) error  { return errors.New("pending") }
func runScore(context.Context, *Env, []string) error   { return errors.New("pending") }
func runAdmin(context.Context, *Env, []string) error   { return errors.New("pending") }
