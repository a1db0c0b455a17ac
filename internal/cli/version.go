package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at link time by a release build, e.g.
//
//	go build -ldflags "-X github.com/trustpulse/trustpulse/internal/cli.version=v1.2.0 -X github.com/trustpulse/trustpulse/internal/cli.commit=$(git rev-parse HEAD)" ./cmd/trustpulse
//
// They are the only package variables here: the linker can set nothing else, and nothing writes
// them at run time.
var version, commit string

// buildVersion is what `trustpulse version` prints. Link-time values win; otherwise the Go build
// info answers: the module version for `go install …@vX`, and the VCS stamp a build inside a
// checkout records (vcs.revision, with "-dirty" for uncommitted changes).
type buildVersion struct {
	Version, Commit, Go, Platform string
}

func readBuildVersion(info *debug.BuildInfo, ok bool, ldVersion, ldCommit string) buildVersion {
	v := buildVersion{Version: "(devel)", Commit: "unknown", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if ok && info != nil {
		if info.GoVersion != "" {
			v.Go = info.GoVersion
		}
		if mv := info.Main.Version; mv != "" {
			v.Version = mv
		}
		var rev string
		var dirty bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			v.Commit = rev
			if dirty {
				v.Commit += "-dirty"
			}
		}
	}
	if ldVersion != "" {
		v.Version = ldVersion
	}
	if ldCommit != "" {
		v.Commit = ldCommit
	}
	return v
}

func runVersion(_ context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		return usageError("version: unexpected argument %q", args[0])
	}
	info, ok := debug.ReadBuildInfo()
	v := readBuildVersion(info, ok, version, commit)
	fmt.Fprintf(env.Stdout, "trustpulse %s\ncommit: %s\ngo: %s %s\n", v.Version, v.Commit, v.Go, v.Platform)
	return nil
}
