package cli

import (
	"runtime/debug"
	"testing"
)

func TestReadBuildVersion(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/trustpulse/trustpulse", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}
	cases := []struct {
		name         string
		info         *debug.BuildInfo
		ok           bool
		ldV, ldC     string
		wantV, wantC string
	}{
		{"no build info", nil, false, "", "", "(devel)", "unknown"},
		{"go install at a version, built in a dirty checkout", stamped, true, "", "", "v1.4.0", "abc123-dirty"},
		{"ldflags win", stamped, true, "v1.5.0-rc1", "def456", "v1.5.0-rc1", "def456"},
		{"devel build without VCS stamp", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, true, "", "", "(devel)", "unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := readBuildVersion(tc.info, tc.ok, tc.ldV, tc.ldC)
			if v.Version != tc.wantV || v.Commit != tc.wantC || v.Go == "" || v.Platform == "" {
				t.Fatalf("got %+v, want version %q commit %q", v, tc.wantV, tc.wantC)
			}
		})
	}
}
