package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}}
	dirty := append(append([]debug.BuildSetting{}, rev...), debug.BuildSetting{Key: "vcs.modified", Value: "true"})
	for _, c := range []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"v1.2.3", nil, "1.2.3"},
		{"v1.2.3", rev, "1.2.3"},
		{"(devel)", nil, "devel"},
		{"", nil, "devel"},
		{"(devel)", rev, "devel+git.0123456789ab"},
		{"v0.0.0-20261129234000-0123456789ab", rev, "devel+git.0123456789ab"},
		{"v0.0.0-20261129234000-0123456789ab+dirty", dirty, "devel+git.0123456789ab.dirty"},
		{"v1.2.4-0.20261129234000-0123456789ab", rev, "devel+git.0123456789ab"},
	} {
		info := &debug.BuildInfo{Main: debug.Module{Version: c.main}, Settings: c.settings}
		if got := fromBuildInfo(info); got != c.want {
			t.Errorf("main %q settings %v: %q, want %q", c.main, c.settings, got, c.want)
		}
	}
}

func TestLinkTimeVersionWins(t *testing.T) {
	old := Version
	defer func() { Version = old }()
	Version = "0.0.0+git5.abcdef1"
	if got := String(); got != Version {
		t.Errorf("String() = %q, want the -X value %q", got, Version)
	}
}
